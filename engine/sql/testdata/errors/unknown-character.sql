-- error: token recognition error at: '#'
SELECT # FROM s;
