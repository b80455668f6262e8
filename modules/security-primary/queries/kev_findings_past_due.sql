-- Open findings in CISA's Known Exploited Vulnerabilities catalogue whose remediation due date (BOD 22-01) has passed, most overdue first.
SELECT
  account_id,
  region,
  id,
  vulnerability_id,
  title,
  resource.type AS resource_type,
  resource.id AS resource_id,
  CAST(from_iso8601_timestamp(details.kev.due_date) AS DATE) AS due_date,
  date_diff('day', CAST(from_iso8601_timestamp(details.kev.due_date) AS DATE), current_date) AS days_past_due
FROM findings
WHERE status = 'ACTIVE'
  AND details.kev.due_date IS NOT NULL
  AND from_iso8601_timestamp(details.kev.due_date) < current_timestamp
ORDER BY due_date, account_id, id
