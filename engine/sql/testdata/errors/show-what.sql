-- error: Expecting {'STREAMS', 'TABLES'
SHOW EVERYTHING;
