-- error: Syntax error at or near 'VALUES' at line 1:8
ASSERT VALUES foo (id INT) VALUES (123);
