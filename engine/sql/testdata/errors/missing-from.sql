-- error: line 1:13: Syntax Error
SELECT a, b WHERE a > 1;
