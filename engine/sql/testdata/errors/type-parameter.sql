-- error: line 1:32: Syntax Error
-- error: Expecting {'STRING', INTEGER_VALUE}
-- error: Statement: CREATE STREAM INPUT (K STRING (KEY)) WITH (kafka_topic='input',value_format='JSON');
CREATE STREAM INPUT (K STRING (KEY)) WITH (kafka_topic='input',value_format='JSON');
