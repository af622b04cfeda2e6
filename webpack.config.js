/**
 * Builds the sample scene (sample-scene/main.ts -> sample-scene/dist/). `npm run build:sample`
 * for a production bundle, `npm start` for the dev server on http://127.0.0.1:8080.
 *
 * onnxruntime-web: the library imports the copy in assets/generated/onnxruntime-web (`#ort`), and
 * loads ort's WASM glue and binary from the served assets like the models: webpack emits no wasm.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const sampleDir = path.join(root, 'sample-scene');
const generatedAssetsDir = path.join(root, 'assets', 'generated');

/**
 * Copies files into the output. Tiny on purpose: two folders and a page don't justify a dependency.
 * `copies`: [{ from: absolute file or folder, to: output-relative file or folder }].
 */
class CopyFilesPlugin {
  constructor(copies) {
    this.copies = copies;
  }

  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('CopyFilesPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'CopyFilesPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const { from, to, optional } of this.copies) {
          if (!existsSync(from)) {
            const message = `CopyFilesPlugin: ${path.relative(root, from)} is missing${optional ? ` (${optional})` : ''}`;
            (optional ? compilation.warnings : compilation.errors).push(new compiler.webpack.WebpackError(message));
            // Still watch the folder so the dev server picks the files up once they appear.
            compilation.missingDependencies.add(from);
            continue;
          }
          const folder = statSync(from).isDirectory();
          const files = folder
            ? readdirSync(from, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => [path.join(from, entry.name), `${to}/${entry.name}`])
            : [[from, to]];
          if (folder) compilation.contextDependencies.add(from);
          for (const [source, target] of files) {
            compilation.fileDependencies.add(source);
            compilation.emitAsset(target, new sources.RawSource(readFileSync(source)));
          }
        }
      });
    });
  }
}

export default (_env, argv) => {
  const production = argv.mode !== 'development';
  return {
    mode: production ? 'production' : 'development',
    target: 'web',
    context: root,
    entry: { main: path.join(sampleDir, 'main.ts') },
    output: {
      path: path.join(sampleDir, 'dist'),
      filename: '[name].js',
      chunkFilename: '[name].[contenthash:8].js',
      assetModuleFilename: '[name][ext]',
      publicPath: 'auto',
      clean: true,
    },
    // No production source maps: they double the build time on small CI machines for little gain.
    devtool: production ? false : 'eval-cheap-module-source-map',
    resolve: {
      extensions: ['.ts', '.js', '.mjs'],
      // Sources import './x.js' (NodeNext); the file on disk is x.ts.
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            // Type checking is `npx tsc -p sample-scene --noEmit`; the bundle only needs transpiling.
            // transpileOnly cannot see package.json "type", so NodeNext would emit CommonJS and make
            // webpack pick packages' `require` builds (onnxruntime-web's without the bundled wasm).
            options: {
              transpileOnly: true,
              configFile: path.join(sampleDir, 'tsconfig.json'),
              compilerOptions: { module: 'esnext', moduleResolution: 'bundler' },
            },
          },
        },
      ],
    },
    plugins: [
      new CopyFilesPlugin([
        { from: path.join(sampleDir, 'index.html'), to: 'index.html' },
        { from: generatedAssetsDir, to: 'assets', optional: 'run `npm run build` to generate the face models and the default head' },
      ]),
    ],
    performance: { hints: false },
    ignoreWarnings: [
      // Node-only branches behind dynamic requires (onnxruntime-web, protobufjs' optional-module probe).
      { module: /onnxruntime-web|@protobufjs[\\/]inquire/, message: /Critical dependency/ },
    ],
    devServer: {
      host: '127.0.0.1',
      port: 8080,
      // onnxruntime-web needs a cross-origin isolated page for WASM threads (SharedArrayBuffer).
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
      static: false,
      client: { overlay: { warnings: false } },
      open: false,
    },
  };
};
