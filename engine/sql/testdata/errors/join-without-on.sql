-- error: Expecting {'WITHIN', 'ON'}
SELECT * FROM a JOIN b WHERE a.id = b.id;
