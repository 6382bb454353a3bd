"""The detector in a web browser: `artifactsdk export-web` writes a static folder with the
bundle's models, ONNX Runtime Web (vendored from npm), a JavaScript module with the
runtime's pre- and post-processing, a demo page and a server script."""
