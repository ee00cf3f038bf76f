/**
 * The embedded default run: the teacher checkpoint shipped with the CLI and the data lib's embedded
 * CIFAR-100 sample.
 */
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleDataDir } from '@atkd/data';

/** The `apps/cli` package directory (works from src/lib and dist/lib alike). */
export function cliRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The embedded teacher: a resnet20 trained on the full CIFAR-100 (see assets/README.md). */
export const EMBEDDED_TEACHER_ARCH = 'resnet20';

export function embeddedTeacher(): string {
  return process.env.ATKD_TEACHER ?? join(cliRoot(), 'assets', 'teacher-resnet20.pth');
}

export function embeddedDefaults(): { teacher: string; teacherArch: string | null; train: string; test: string } {
  const sample = sampleDataDir();
  return {
    teacher: embeddedTeacher(),
    // a teacher from ATKD_TEACHER comes with its own architecture (ATKD_TEACHER_ARCH), if it needs one
    teacherArch: process.env.ATKD_TEACHER_ARCH ?? (process.env.ATKD_TEACHER === undefined ? EMBEDDED_TEACHER_ARCH : null),
    train: join(sample, 'train.arrow'),
    test: join(sample, 'test.arrow'),
  };
}

/**
 * A command line that runs this very CLI again from the current directory, for hints such as
 * "resume with: ...": `node <path of dist/main.js>` (relative when below the current directory). It
 * never names a package that `npx` could fetch from the registry.
 */
export function selfCommand(): string {
  const main = join(cliRoot(), 'dist', 'main.js');
  const rel = relative(process.cwd(), main);
  const path = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : main;
  return `node ${/[^\w./-]/.test(path) ? JSON.stringify(path) : path}`;
}

