export { completion, FakeLlm, type Reply, type ReceivedRequest } from '../../tools/fake-llm.js';
