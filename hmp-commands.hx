HXCOMM The human monitor's commands: the single source of their names,
HXCOMM arguments, help and documentation. scripts/hxtool turns this file into
HXCOMM build/hmp-commands.h (the tables monitor.c includes),
HXCOMM build/hmp-handlers.h (the handlers' declarations) and docs/hmp.md.
HXCOMM The syntax is described at the top of scripts/hxtool, the ARGS types in
HXCOMM monitor-args.h. Adding a command: an entry here, and its handler (an
HXCOMM HmpHandler, usually calling the QMP handler of the same operation).

TITLE HMP: the human monitor

TABLE hmp_cmds hmp Commands
TEXT
The human monitor reads one command per line at the `(qemu)` prompt, on
`-monitor stdio`, `-monitor unix:PATH,server,nowait` or
`-monitor tcp:HOST:PORT,server,nowait` (and on `mon:stdio` after C-a c). On a
terminal it edits lines (arrows, Home/End, C-a/C-e, C-k, C-u, C-w, Tab
completion) and keeps a history (Up/Down, C-p/C-n).

Arguments are separated by blanks; a "quoted string" may contain blanks and
the escapes `\\ \" \n \t`. Sizes take a K, M, G or T suffix and are MiB
without one; times are seconds (`0.5`, `30ms`). An error is one line naming
the command (`migrate: missing argument 'uri'`), and the monitor goes on.
ENDTEXT

COMMAND help|?
ARGS    name:S?
PARAMS  [cmd]
HELP    show the help of every command, or of one
HANDLER hmp_help
DOC
Without an argument, lists every command with its synopsis, one per line:
`name params -- help`. `help info` lists the `info` subcommands, and
`help info status` shows one of them.
ENDDOC

COMMAND info
PARAMS  [subcommand]
HELP    show information about the machine (alone: list the subcommands)
SUBTABLE hmp_info_cmds
DOC
`info` alone lists its subcommands, documented below under "info
subcommands".
ENDDOC

COMMAND stop
HELP    stop the virtual CPU
HANDLER hmp_stop
DOC
Pauses the guest: the vCPU stops and the run state becomes `paused` (QMP
event `STOP`). Stopping a machine that is not running does nothing.
ENDDOC

COMMAND cont|c
HELP    resume the virtual CPU
HANDLER hmp_cont
DOC
Resumes a guest stopped by `stop` or started with `-S` (QMP event `RESUME`).
Fails with a message when the machine cannot run, e.g. while an incoming
migration has not finished.
ENDDOC

COMMAND quit|q
HELP    quit the emulator
HANDLER hmp_quit
DOC
Ends the program cleanly (QMP event `SHUTDOWN`), with exit status 0.
ENDDOC

COMMAND system_reset
HELP    reset the machine
HANDLER hmp_system_reset
DOC
Resets the machine: the vCPU restarts at the loader's entry point. RAM keeps
its contents.
ENDDOC

COMMAND xp
ARGS    fmt:/,addr:i
PARAMS  /fmt addr
HELP    show guest-physical memory
HANDLER hmp_xp
DOC
Prints memory from guest-physical address `addr`. The format is
`/[count][format][size]`:

- `count`: how many units to show (default 1);
- `format`: `x` hexadecimal, `d` signed decimal, `u` unsigned decimal,
  `o` octal, `c` character;
- `size`: `b` byte, `h` 2 bytes, `w` 4 bytes, `g` 8 bytes (little-endian).

A format or size left out is the one used last (at first `x` and `w`). Each
line starts with the address; 16 bytes per line, 8 for bytes and characters.
At most 1 MiB is shown at once. For example:

    (qemu) xp /4xw 0x100000
    0000000000100000: 0x00000001 0x00000000 0x00000000 0x00000000
ENDDOC

COMMAND pmemsave
ARGS    val:i,size:i,filename:s
PARAMS  addr size file
HELP    save guest-physical memory to a file
HANDLER hmp_pmemsave
DOC
Writes `size` bytes of guest-physical memory starting at `addr` to `file`
(created or truncated). On an error (an address that is not RAM, a file that
cannot be written) nothing is left behind.
ENDDOC

COMMAND getfd
ARGS    fdname:s
PARAMS  name
HELP    receive a file descriptor passed with SCM_RIGHTS and name it
HANDLER hmp_getfd
DOC
Takes the file descriptor that came with this command line over a Unix
socket monitor (`SCM_RIGHTS`) and keeps it under `name`, for `migrate
fd:name`. A descriptor already kept under that name is closed. Names must not
start with a digit.
ENDDOC

COMMAND closefd
ARGS    fdname:s
PARAMS  name
HELP    close a file descriptor received with getfd
HANDLER hmp_closefd
DOC
Closes the descriptor kept under `name` and forgets the name.
ENDDOC

TABLE hmp_info_cmds hmp info subcommands
TEXT
`info SUBCOMMAND` shows one aspect of the machine.
ENDTEXT

COMMAND status
HELP    show the run state of the machine
HANDLER hmp_info_status
DOC
Prints `VM status: running`, `VM status: paused`, or `VM status: paused
(STATE)` for another stopped state (`inmigrate`, `postmigrate`,
`shutdown`, ...).
ENDDOC

COMMAND version
HELP    show the version of the emulator
HANDLER hmp_info_version
DOC
Prints the version and the package, e.g. `1.0.50 (xbzrle)`.
ENDDOC

COMMAND name
HELP    show the name of the machine (-name)
HANDLER hmp_info_name
DOC
Prints the name given with `-name`; nothing when there is none.
ENDDOC

COMMAND commands
HELP    list the QMP commands
HANDLER hmp_info_commands
DOC
Prints the name of each command the QMP monitor accepts, one per line (what
`query-commands` returns).
ENDDOC
