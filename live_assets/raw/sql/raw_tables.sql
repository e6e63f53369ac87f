-- The raw tables the warehouse holds (a list never loaded has none yet).
SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'
