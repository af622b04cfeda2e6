/** The photo-avatar command line. Exit codes: 0 ok, 1 bad input (named in the message), 2 usage, 3 internal error. */
// The Node asset loader (reads the package's assets/generated) for every command.
import '../node/asset-files.js';
import { PhotoAvatarError } from '../errors.js';
import { installInterruptCleanup } from '../node/interrupt-cleanup.js';
import { configureOneAvatarProcess } from '../node/one-avatar-process.js';
import { CREATE_HELP, runCreateCommand } from './create-command.js';
import { LANDMARKS_HELP, runLandmarksCommand } from './landmarks-command.js';
import { TRACK_HELP, runTrackCommand } from './track-command.js';
import { IMPORT_HELP, runImportCommand } from './import-command.js';
import { COPY_ASSETS_HELP, runCopyAssetsCommand } from './copy-assets-command.js';
import { PACK_HELP, runPackCommand } from './pack-command.js';
import { EVAL_ALBEDO_HELP, EVAL_RELIGHT_HELP, runEvalAlbedoCommand, runEvalRelightCommand } from './eval-albedo-command.js';
import { BUILD_UV_DATASET_HELP, BUILD_UVAPM_HELP, EVAL_UVAPM_HELP, runBuildUvapmCommand, runBuildUvDatasetCommand, runEvalUvapmCommand } from './uvapm-commands.js';

const HELP = `photo-avatar: turn one face photo into a rigged, textured 3D head (GLB) for Babylon.js.

Commands:
${CREATE_HELP}

${LANDMARKS_HELP}

${TRACK_HELP}

${IMPORT_HELP}

${BUILD_UVAPM_HELP}

${EVAL_UVAPM_HELP}

${BUILD_UV_DATASET_HELP}

${COPY_ASSETS_HELP}

${PACK_HELP}

${EVAL_ALBEDO_HELP}

${EVAL_RELIGHT_HELP}

photo-avatar --help     this text`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  create: runCreateCommand,
  landmarks: runLandmarksCommand,
  track: runTrackCommand,
  import: runImportCommand,
  'build-uvapm': runBuildUvapmCommand,
  'eval-uvapm': runEvalUvapmCommand,
  'build-uv-dataset': runBuildUvDatasetCommand,
  'copy-assets': runCopyAssetsCommand,
  'eval-albedo': runEvalAlbedoCommand,
  pack: runPackCommand,
  'eval-relight': runEvalRelightCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`photo-avatar: unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}. See photo-avatar --help.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // One avatar per process: TurboFan's tier-up of ort's binary and ort's thread pool cost more
  // than they save. Not for `track`, whose many frames pay for both.
  if (command === 'create') configureOneAvatarProcess();
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof PhotoAvatarError) {
      process.stderr.write(`photo-avatar ${command}: ${error.message}\n`);
      return error.code === 'INVALID_ARGUMENT' ? 2 : 1;
    }
    process.stderr.write(`photo-avatar ${command}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 3;
  }
}

installInterruptCleanup();
const exitCode = await main(process.argv.slice(2));
// A failed command ends now: `create` starts loading the face models while its photos decode, and
// a bad photo need not wait for them (stderr is written synchronously to files and pipes).
if (exitCode !== 0) process.exit(exitCode);
