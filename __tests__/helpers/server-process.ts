export { mappedLibraries, rssMbOf, runBuildIndex, startServerProcess, type ServerProcess } from '../../tools/testing/server-process.js';
