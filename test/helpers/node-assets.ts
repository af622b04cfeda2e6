// Mocha setup (.mocharc.json "require"): tests import the sources directly, not the package's node
// entry, so they install the Node asset loader (assets/generated) here, as the node entry does.
import '../../src/node/asset-files.js';
