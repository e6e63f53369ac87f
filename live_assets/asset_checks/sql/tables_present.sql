-- The raw and KPI tables the warehouse holds, as schema.table.
SELECT table_schema || '.' || table_name AS qualified_name
FROM information_schema.tables
WHERE table_schema IN ('raw', 'kpi');
