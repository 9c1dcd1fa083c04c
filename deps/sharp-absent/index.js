'use strict';
// rag512 never decodes images. transformers.js imports sharp at the top of its bundle and calls
// it only for image inputs, so this function is never reached by text embedding.
module.exports = function sharp() {
  throw new Error('rag512 is built without sharp: image inputs are not supported');
};
