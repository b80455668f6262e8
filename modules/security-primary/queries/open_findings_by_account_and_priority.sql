-- Open (ACTIVE) findings by account and priority (P1 first), with how many of them are CRITICAL and how many are in CISA KEV. Documents written before priority existed show as 'unscored'.
SELECT
  account_id,
  coalesce(priority.label, 'unscored') AS priority_label,
  count(*) AS open_findings,
  count_if(severity = 'CRITICAL') AS critical,
  count_if(details.kev IS NOT NULL) AS in_kev
FROM findings
WHERE status = 'ACTIVE'
GROUP BY account_id, coalesce(priority.label, 'unscored')
ORDER BY account_id, priority_label
