'use strict';
// transformers.js's Node build runs on onnxruntime-node and never imports onnxruntime-web; only
// its browser build does. Reaching this file means something changed: say so rather than misbehave.
throw new Error('rag512 is installed without onnxruntime-web: in Node, transformers.js uses onnxruntime-node (see deps/onnxruntime-web-absent)');
