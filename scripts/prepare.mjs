// `prepare` (npm install in a clone, git dependencies): build dist/ and assets/generated/.
// `npm pack` / `npm publish` run prepack first, which already built: skip the second build.
import { execSync } from 'node:child_process';

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') {
  console.log('prepare: already built by prepack');
} else {
  execSync('npm run build', { stdio: 'inherit' });
}
