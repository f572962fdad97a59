-- error: Expecting {'CHANGES', 'FINAL'}
SELECT * FROM s EMIT ALL;
