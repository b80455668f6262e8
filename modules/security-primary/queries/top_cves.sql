-- The 25 CVEs with the most affected resources across the organisation (open findings): findings, accounts, resources, and the resources themselves (account/resource id, sorted).
SELECT
  cve_id,
  count(*) AS open_findings,
  count(DISTINCT account_id) AS accounts,
  count(DISTINCT account_id || '/' || resource.id) AS resources,
  array_sort(array_distinct(array_agg(account_id || '/' || resource.id))) AS affected_resources
FROM findings
CROSS JOIN UNNEST(cve_ids) AS t (cve_id)
WHERE status = 'ACTIVE'
GROUP BY cve_id
ORDER BY resources DESC, open_findings DESC, cve_id
LIMIT 25
