-- error: unterminated string literal
SELECT 'abc FROM s;
