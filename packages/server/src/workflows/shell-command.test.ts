/**
 * A stage command's `$name` values reach the shell as data: whatever a value holds, the shell prints it back
 * exactly and runs nothing of it, in every quoting context, with dash (Debian's /bin/sh) and with bash (the
 * /bin/sh of RHEL, where APS workflows come from).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the workflows' variable syntax
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  commandEnvironment,
  maximumValueBytes,
  ShellTemplateError,
  StageValueError,
  shellScript,
} from './shell-command.ts';
import { UnknownVariableError } from './variables.ts';

const shells = ['/bin/dash', '/bin/bash'].filter((shell) => existsSync(shell));
const scratch = mkdtempSync(join(tmpdir(), 'dm-shell-command-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a template the way a stage does: the script with `sh -c`, the values in its environment. */
function run(template: string, values: Record<string, string>, shell = '/bin/sh'): string {
  const command = shellScript(template);
  const env = { PATH: '/usr/bin:/bin', ...commandEnvironment(command, (name) => values[name]) };
  return execFileSync(shell, ['-c', command.script], { env, cwd: scratch, encoding: 'utf8' });
}

/** Each template prints $v in one context; what each prints, given v. */
const contexts: [string, (v: string) => string][] = [
  ['printf %s $v', (v) => v],
  ['printf %s "$v"', (v) => v],
  ["printf %s '$v'", (v) => v],
  ['printf %s ${v}', (v) => v],
  ['printf %s "<${v}>"', (v) => `<${v}>`],
  ["printf %s 'a'$v'b'", (v) => `a${v}b`],
  ['printf %s x$v"y"', (v) => `x${v}y`],
  // Command substitution drops trailing newlines, as it does for any output.
  ['printf %s "$(printf %s $v)"', (v) => v.replace(/\n+$/, '')],
  ['printf %s "`printf %s "$v"`"', (v) => v.replace(/\n+$/, '')],
  ['printf %s ${UNSET_NAME:-$v}', (v) => v],
  ['printf %s "${UNSET_NAME:-$v}"', (v) => v],
  ['cat <<EOF\n$v\nEOF', (v) => `${v}\n`],
  ['cat <<-EOF\n\t$v "quoted"\n\tEOF', (v) => `${v} "quoted"\n`],
  ['case $v in *) printf %s "$v";; esac', (v) => v],
  ['printf %s "$(case $v in *) printf %s "$v";; esac)"', (v) => v.replace(/\n+$/, '')],
];

/** One process per shell and value: the contexts' outputs separated by NUL, which no value holds. */
function printedInEachContext(value: string, shell: string): string[] {
  const template = contexts.map(([command]) => `${command}\nprintf '\\0'`).join('\n');
  return run(template, { v: value }, shell).split('\0').slice(0, -1);
}

const metacharacters = [...';|&$`()<>*?[]{}~#!\\\'" \t\n'];

describe('shell commands with values as data', () => {
  it('prints every shell metacharacter back exactly, in every context, running nothing', () => {
    const marker = join(scratch, 'ran');
    const values = [
      metacharacters.join(''),
      ...metacharacters.map((c) => `a${c}b`),
      `x; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `"; touch ${marker}; "`,
      `'; touch ${marker}; '`,
      `\nEOF\ntouch ${marker}\n`,
      '*',
      '~root',
      '',
    ];
    for (const shell of shells)
      for (const value of values) {
        const printed = printedInEachContext(value, shell);
        contexts.forEach(([template, expected], index) => {
          assert.equal(
            printed[index],
            expected(value),
            `${shell}: ${template} with ${JSON.stringify(value)}`,
          );
        });
      }
    assert.equal(existsSync(marker), false, 'an injected command ran');
  });

  it('prints any NUL-free string back exactly (property)', () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...metacharacters, 'a', 'EOF', 'é'), maxLength: 40 }),
    );
    for (const shell of shells)
      fc.assert(
        fc.property(
          value.filter((v) => !v.includes('\0')),
          (v) => {
            const printed = printedInEachContext(v, shell);
            contexts.forEach(([template, expected], index) => {
              assert.equal(printed[index], expected(v), `${shell}: ${template}`);
            });
          },
        ),
        { numRuns: 60 },
      );
  });

  it('keeps the APS example commands as they read, with each value one quoted word', () => {
    assert.equal(
      shellScript('/bin/echo "START JOB ID: $id" > /tmp/workflow.$timeStamp/$id.out').script,
      '/bin/echo "START JOB ID: ${DM_VAR_id}" > /tmp/workflow."${DM_VAR_timeStamp}"/"${DM_VAR_id}".out',
    );
    assert.deepEqual(shellScript('/bin/md5sum $filePath | cut -f1 -d" "'), {
      script: '/bin/md5sum "${DM_VAR_filePath}" | cut -f1 -d" "',
      variables: ['filePath'],
      arithmetic: [],
    });
    assert.equal(shellScript('/bin/date +%Y%m%d%H%M%S').script, '/bin/date +%Y%m%d%H%M%S');
    assert.equal(run('printf %s $filePath', { filePath: '/data/scan 1.h5' }), '/data/scan 1.h5');
  });

  it('keeps \\$name for the shell, and everything else that is not a reference', () => {
    const command = shellScript('echo \\$HOME $1 $$ $? ${#} "${HOME:-x}" $(( 1 + 2 ))');
    assert.equal(command.script, 'echo $HOME $1 $$ $? ${#} "${HOME:-x}" $(( 1 + 2 ))');
    assert.deepEqual(command.variables, []);
    assert.equal(run('X=set; printf %s \\$X', {}), 'set');
  });

  it('gives the environment only the variables the command refers to, and names an unknown one', () => {
    const command = shellScript('cp $a "$b" # $a');
    assert.deepEqual(
      commandEnvironment(command, (name) => ({ a: '1', b: '2', c: '3' })[name]),
      {
        DM_VAR_a: '1',
        DM_VAR_b: '2',
      },
    );
    assert.throws(
      () => commandEnvironment(command, () => undefined),
      (error: unknown) => error instanceof UnknownVariableError && error.variable === 'a',
    );
  });

  it('takes only integers in arithmetic, where bash would run a value as code', () => {
    const marker = join(scratch, 'arithmetic-ran');
    const bash = [
      'printf %s $(( $n + 1 ))',
      'printf %s $(( ${UNSET_NAME:-$n} + 1 ))',
      'printf %s $(( "$n" + 1 ))',
      'printf %s $[$n + 1]',
      "x=$(printf '%041d42' 0); printf %s ${x:$n:2}",
      'a=(); a[$n]=42; printf %s "${a[$n]}"',
      'for ((i = $n; i < 42; i++)); do :; done; printf %s \\$i',
    ];
    for (const template of bash) {
      assert.equal(run(template, { n: '41' }, '/bin/bash'), '42', template);
      assert.throws(
        () => run(template, { n: `a[$(touch ${marker})]` }, '/bin/bash'),
        (error: unknown) => error instanceof StageValueError && /\$n .*integer/.test(error.message),
      );
    }
    assert.equal(existsSync(marker), false);
  });

  it('refuses what cannot be passed as data, saying why', () => {
    const refused: [string, RegExp][] = [
      ["cat <<'EOF'\n$v\nEOF", /\$v in the body of a here-document with a quoted delimiter/],
      ['cat <<\\EOF\n$v\nEOF', /quoted delimiter/],
      ['cat <<$v\nx\n', /\$v in a here-document's delimiter/],
      ['echo $$v', /'\$' right before \$v/],
      ['echo "$$v"', /'\$' right before \$v/],
      ['echo ${$v}', /\$v as the name in \$\{\.\.\.\}/],
      ['echo ${#$v}', /as the name/],
      ["echo $'a$v'", /\$v inside \$'\.\.\.'/],
      ['[[ $v -eq 1 ]] && echo', /inside \[\[ \.\.\. \]\]/],
      ['echo `echo \\`echo $v\\``', /nested backquotes/],
      ['let x=$v', /let evaluates its arguments as arithmetic/],
      ['declare -i n; n=$v', /declare -i makes assignments arithmetic/],
      ['f() { local -ri n=$v; }', /local -ri/],
    ];
    for (const [template, reason] of refused)
      assert.throws(
        () => shellScript(template),
        (error: unknown) => error instanceof ShellTemplateError && reason.test(error.message),
        template,
      );
    // The same constructs without a reference are the author's own shell, and stay.
    assert.equal(shellScript("cat <<'EOF'\n\\$HOME\nEOF").script, "cat <<'EOF'\n$HOME\nEOF");
    assert.equal(shellScript("cat <<'EOF'\n\\$v\nEOF\necho $v").script.endsWith('"${DM_VAR_v}"'), true);
  });

  it('never fails on any template but with a ShellTemplateError (property)', () => {
    const fragment = fc.constantFrom(
      ...["'", '"', '`', '$(', '$((', '${', ')', '))', '}', '<<', '<<-', "<<'E'", 'E', '\n', '\\', '#'],
      ...['case ', ' in ', 'esac', '[[ ', ' ]]', '((', ' ', ';', '$v', '${v}', '\\$v', '$', 'x', '\t'],
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (fragments) => {
        try {
          shellScript(fragments.join(''));
        } catch (error) {
          if (!(error instanceof ShellTemplateError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => shellScript(`${'$('.repeat(10_000)}$v`), ShellTemplateError);
    assert.equal(run('cat <<<$v', { v: 'a b' }, '/bin/bash'), 'a b\n');
  });

  it('runs nothing of a value in any command made of shell constructs (property)', () => {
    const marker = join(scratch, 'fuzz-ran');
    const value = `$(touch ${marker})\`touch ${marker}\`;touch ${marker}\n'"touch ${marker}`;
    const fragment = fc.constantFrom(
      ...["'", '"', '`', '$(', '${UNSET_NAME:-', ')', '}', '<<E\n', '\nE\n', '\n', ' ', ';', '|', '&&'],
      ...['case ', ' in ', ' esac', '*) ', ';;', 'echo ', 'printf %s ', 'x=', 'cat', '#', '\\', '$v', '$v'],
    );
    for (const shell of shells)
      fc.assert(
        fc.property(fc.array(fragment, { maxLength: 16 }), (fragments) => {
          let command: ReturnType<typeof shellScript>;
          try {
            command = shellScript(fragments.join(''));
          } catch (error) {
            if (error instanceof ShellTemplateError) return;
            throw error;
          }
          const env = { PATH: '/usr/bin:/bin', ...commandEnvironment(command, () => value) };
          try {
            execFileSync(shell, ['-c', command.script], {
              env,
              cwd: scratch,
              stdio: 'ignore',
              timeout: 5_000,
            });
          } catch {
            // a random command may well be a syntax error: what matters is what it ran
          }
          assert.equal(existsSync(marker), false, `${shell} ran a value of: ${command.script}`);
        }),
        { numRuns: 150 },
      );
  });

  it('fails on a value too long to give a process, or holding NUL, naming the variable', () => {
    const command = shellScript('printf %s $big');
    const atLimit = 'x'.repeat(maximumValueBytes - 'DM_VAR_big='.length - 1);
    assert.equal(run('printf %s $big', { big: atLimit }).length, atLimit.length);
    for (const big of [`${atLimit}x`, `${'é'.repeat(maximumValueBytes / 2)}`, 'a\0b'])
      assert.throws(
        () => commandEnvironment(command, () => big),
        (error: unknown) => error instanceof StageValueError && error.variable === 'big',
      );
    const many = shellScript(Array.from({ length: 12 }, (_, i) => `$v${i}`).join(' '));
    assert.throws(
      () => commandEnvironment(many, () => 'y'.repeat(100_000)),
      (error: unknown) => error instanceof StageValueError && /total/.test(error.message),
    );
  });

  it('writes files where the value says, never more than one', () => {
    run('printf data > $name', { name: 'a b*' });
    assert.equal(readFileSync(join(scratch, 'a b*'), 'utf8'), 'data');
  });
});
