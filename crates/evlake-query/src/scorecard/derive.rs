//! The arithmetic of the scorecard, over plain values: the level a sub-dimension's scores
//! reach (evlake's derivation), and the DSOMM app's own per-sector numbers.

/// The highest level L such that every activity of level ≤ L is at the 100 % state (evlake's
/// derivation; DSOMM defines no "team is at level N"): the levels the sub-dimension has are
/// taken in order and the first with an activity short of 100 % stops the count; 0 when the
/// lowest already does. `activities` are `(level, score)`, scores 0–1.
pub fn achieved_level(activities: &[(u8, f64)]) -> u8 {
    let mut levels: Vec<u8> = activities.iter().map(|(l, _)| *l).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut achieved = 0;
    for level in levels {
        let complete = activities
            .iter()
            .filter(|(l, _)| *l == level)
            .all(|(_, score)| *score >= 1.0);
        if !complete {
            break;
        }
        achieved = level;
    }
    achieved
}

/// The DSOMM app's circular-heatmap value of one sector (a sub-dimension at one level) for
/// one team: the mean of its activities' scores; none for a sector with no activities (the
/// app draws it grey).
pub fn sector_value(scores: &[f64]) -> Option<f64> {
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// The DSOMM report page's completion of a set of activities for one team: how many are at
/// the 100 % state, and that share as a whole percent (rounded half up, as `Math.round`).
pub fn completion(scores: &[f64]) -> (usize, Option<u32>) {
    let done = scores.iter().filter(|s| **s >= 1.0).count();
    let percent = (!scores.is_empty())
        .then(|| (done as f64 / scores.len() as f64 * 100.0 + 0.5).floor() as u32);
    (done, percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_stops_at_the_first_level_short_of_complete() {
        assert_eq!(achieved_level(&[]), 0);
        assert_eq!(achieved_level(&[(1, 0.5), (2, 1.0)]), 0);
        assert_eq!(achieved_level(&[(1, 1.0), (1, 1.0), (2, 1.0), (3, 0.2)]), 2);
        // Test KPI has no level-1 activity: its first level is 2.
        assert_eq!(achieved_level(&[(2, 1.0), (3, 1.0), (4, 0.0)]), 3);
        assert_eq!(achieved_level(&[(2, 0.0), (3, 1.0)]), 0);
        assert_eq!(achieved_level(&[(1, 1.0), (2, 1.0), (5, 1.0)]), 5);
    }

    #[test]
    fn sectors_and_completion_as_the_app_computes_them() {
        assert_eq!(sector_value(&[]), None);
        assert_eq!(sector_value(&[1.0, 0.3, 0.0, 0.5]), Some(0.45));
        assert_eq!(completion(&[1.0, 0.3, 1.0]), (2, Some(67)));
        assert_eq!(completion(&[1.0, 0.0]), (1, Some(50)));
        assert_eq!(
            completion(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
            (1, Some(13))
        );
        assert_eq!(completion(&[]), (0, None));
    }
}
