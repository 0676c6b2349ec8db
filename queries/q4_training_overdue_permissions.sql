-- q4: show the role permissions at $as_of of every engineer who has not completed security
-- training in the $window_days days before it, and whether each holds a time-bound exception
-- with an owner, as the lake knew it at $known_at.
--
-- Evidence rows: every overdue person in scope (views/training_overdue.sql: their last
-- training, every permission held with when and by which record it was granted, the
-- privileged ones, the exception that covers them), those holding privileged access without
-- a valid exception first, then those excepted only after the fact.
SELECT
  person, team, last_training, overdue_days, class, privileged, privileged_permissions,
  permissions, granted_at, permission_sources, permission_records, baseline_unknown, exception_id,
  exception_owner, exception_expires, source, source_name, source_id, event_time,
  ingested_at, record_sha256
FROM training_overdue
ORDER BY
  CASE class WHEN 'privileged_unexcepted' THEN 0 WHEN 'excepted_late' THEN 1
    WHEN 'excepted' THEN 2 ELSE 3 END,
  person
