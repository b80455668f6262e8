-- Mean time to remediate by severity: closed Inspector v2 findings with a time_to_remediate_seconds (first observed to latest closure; none when the closure fixed nothing), in days.
SELECT
  severity,
  count(*) AS remediated,
  round(avg(time_to_remediate_seconds) / 86400.0, 1) AS mean_days,
  round(max(time_to_remediate_seconds) / 86400.0, 1) AS longest_days
FROM findings
WHERE status = 'CLOSED'
  AND time_to_remediate_seconds IS NOT NULL
GROUP BY severity
ORDER BY CASE severity
  WHEN 'CRITICAL' THEN 1
  WHEN 'HIGH' THEN 2
  WHEN 'MEDIUM' THEN 3
  WHEN 'LOW' THEN 4
  WHEN 'UNTRIAGED' THEN 5
  ELSE 6
END
