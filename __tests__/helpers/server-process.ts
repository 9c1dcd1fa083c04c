export { mappedLibraries, rssMbOf, startServerProcess, type ServerProcess } from '../../tools/testing/server-process.js';
