export { chunkEvent, completion, FakeLlm, type Reply, type ReceivedRequest } from '../../tools/testing/fake-llm.js';
