export { mappedLibraries, rssMbOf, startServerProcess, type ServerProcess } from '../../tools/server-process.js';
