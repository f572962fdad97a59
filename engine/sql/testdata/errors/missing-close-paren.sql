-- error: Expecting {',', ')'}
SELECT f(a, b FROM s;
