-- error: line 1:1: Syntax Error
RUN SCRIPT 'foo';
