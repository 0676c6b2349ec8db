//! Generated organisations of each maturity reach each rung of q1 and q2: the exact level and
//! verdict the planted truth gives, and the rung the maturity stands for; q3 gives the truth's
//! answer for each too.

use evlake_query::{QuerySession, Verdict};
use evlake_store::Lake;
use evlake_synth::Maturity;

use super::{end_of, ingest, organisation_of};

#[tokio::test]
async fn generated_organisations_reach_every_rung_of_each_question() {
    // (maturity, days of history, seed, the rung of q1 and of q2, q3's verdict and level)
    let cases = [
        (Maturity::None, 45, 11, 0, (Verdict::NoData, 0)),
        (Maturity::Scanning, 45, 12, 1, (Verdict::Contradicted, 1)),
        (Maturity::Advisory, 45, 7, 2, (Verdict::Contradicted, 1)),
        (Maturity::Enforced, 45, 14, 3, (Verdict::Evidenced, 2)),
        (Maturity::Enforced, 95, 15, 4, (Verdict::Evidenced, 3)),
        // Level 3 of q3 held as of T - 30 d and T - 60 d too: its level 4.
        (Maturity::Enforced, 160, 16, 4, (Verdict::Evidenced, 4)),
    ];
    let as_of = end_of("2026-11-20");
    for (maturity, days, seed, rung, q3_answer) in cases {
        let dir = tempfile::tempdir().unwrap();
        let truth = organisation_of(dir.path(), seed, 12, days, maturity);
        let lake = Lake::open("memory://").unwrap();
        ingest(&lake, dir.path(), |_, _| true).await;
        let session = QuerySession::builder(lake).build().await.unwrap();
        let what = format!("{maturity:?} over {days} days (seed {seed})");
        let q1 = session.ask("q1", Some(as_of), None).await.unwrap();
        assert_eq!(
            (q1.verdict, q1.level),
            super::q1::expected(&truth, as_of),
            "q1, {what}: {:?}",
            q1.metrics
        );
        assert_eq!(q1.level, rung, "q1, {what}");
        let q2 = session.ask("q2", Some(as_of), None).await.unwrap();
        assert_eq!(
            (q2.verdict, q2.level),
            super::q2::expected(&truth, as_of),
            "q2, {what}: {:?}",
            q2.metrics
        );
        assert_eq!(q2.level, rung, "q2, {what}");
        let q3 = session.ask("q3", Some(as_of), None).await.unwrap();
        let want = super::q3::expected(&truth, as_of, |_| true);
        super::q3::assert_matches(&q3, &want, &format!("q3, {what}"));
        assert_eq!((q3.verdict, q3.level), q3_answer, "q3, {what}");
    }
}
