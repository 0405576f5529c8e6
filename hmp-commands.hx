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

Output waits for a client that does not read it, and nothing else does:
other monitors, the guest and a migration carry on. Once more than 1 MiB
has waited since the client last read any, a socket client is disconnected
(the socket takes the next one); on stdio or a pty the output is dropped
until it is read again. Either way one line on stderr names the chardev.
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

COMMAND screendump
ARGS    filename:s
PARAMS  file
HELP    save the display as a PPM image
HANDLER hmp_screendump
DOC
Writes what the display shows (`-display sdl`: the text console, 8x16
pixels per character, the cursor as an inverted cell) to `file` as a binary
PPM (P6, 8 bits per channel), created or truncated. Without a display it
fails: `no display (start with -display sdl)`.
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

COMMAND object_add
ARGS    object:S
PARAMS  [qom-type=]type,id=str[,prop=value][,...]
HELP    create an object (TLS credentials, authorization)
HANDLER hmp_object_add
DOC
Creates an object as `-object` does, from the same text: the type first,
then `id` and the properties, `,,` standing for a comma inside a value.
On/off properties take `on`, `off`, `yes`, `no`, `true` or `false`. The
types, their properties and the errors are those of QMP `object-add`.

    (qemu) object_add tls-creds-x509,id=tls0,endpoint=server,dir=/etc/pki/qemu
    (qemu) object_add authz-simple,id=auth0,identity=CN=laptop.example.com,,O=Example Org
ENDDOC

COMMAND object_del
ARGS    id:s
PARAMS  id
HELP    delete an object
HANDLER hmp_object_del
DOC
Deletes the object `id`, unless something uses it (see QMP `object-del`).
ENDDOC

COMMAND migrate
ARGS    detach:-d,xbzrle:-x,resume:-r,uri:s
PARAMS  [-d] [-x] [-r] uri
HELP    migrate to URI (-d: do not wait for the end, -x: use XBZRLE, -r: resume a paused post-copy)
HANDLER hmp_migrate
DOC
Migrates the running guest to another instance started with
`-incoming URI`. The URI is `tcp:HOST:PORT`, `unix:PATH`, `exec:COMMAND`
(the stream goes to the command's standard input, e.g.
`exec:cat > vm.state`) or `fd:NAME` (a descriptor passed with `getfd`).

Without `-d` the monitor waits until the migration ends, showing progress on
a terminal, then prints `migration completed` (or why it failed). With `-d`
it returns at once; follow the migration with `info migrate`.
A guest stopped for the last stage stays stopped: `cont` is refused then
(`migrate_cancel` resumes it).

`-x` sends pages that are dirty again as XBZRLE deltas against a copy kept
in a cache (`migrate_set_cachesize`), as does the `xbzrle` capability
(`migrate_set_capability xbzrle on`).

    (qemu) migrate_set_cachesize 256m
    (qemu) migrate -x -d tcp:destination.host:4444
    (qemu) info migrate
ENDDOC

COMMAND migrate_incoming
ARGS    uri:s
PARAMS  uri
HELP    start an incoming migration (started with -incoming defer)
HANDLER hmp_migrate_incoming
DOC
On a machine started with `-incoming defer` (waiting, not listening),
starts waiting for the migration on `uri`, as `-incoming uri` would have;
set capabilities and parameters before. Fails, with QEMU's messages, when
an incoming migration has already been started or without `-incoming`.

    (qemu) migrate_set_capability events on
    (qemu) migrate_set_parameter x-stall-timeout 10000
    (qemu) migrate_incoming tcp:0.0.0.0:4444
ENDDOC

COMMAND migrate_start_postcopy
HELP    switch a running migration to post-copy
HANDLER hmp_migrate_start_postcopy
DOC
See QMP's `migrate-start-postcopy` (docs/qmp.md).
ENDDOC

COMMAND migrate_recover
ARGS    uri:s
PARAMS  uri
HELP    wait for a broken post-copy's source on a new URI
HANDLER hmp_migrate_recover
DOC
See QMP's `migrate-recover`; the source then runs `migrate -r URI`.

    (qemu) migrate_recover tcp:0:4445
ENDDOC

COMMAND migrate_cancel
HELP    cancel the current migration
HANDLER hmp_migrate_cancel
DOC
Stops the current migration; the guest runs on here as before. Does nothing
when no migration is in progress.
ENDDOC

COMMAND migrate_set_speed
ARGS    value:o
PARAMS  value
HELP    set the maximum migration speed (bytes per second; MiB without a suffix)
HANDLER hmp_migrate_set_speed
DOC
Limits the migration to `value` bytes per second (default 32M). A number
without a suffix is in MiB (B, K, M, G, T suffixes accepted); 0 removes the
limit. Takes effect at once, also during a migration. The last stage, with
the guest stopped, keeps to the limit too.
ENDDOC

COMMAND migrate_set_downtime
ARGS    value:T
PARAMS  value
HELP    set the maximum tolerated downtime (seconds)
HANDLER hmp_migrate_set_downtime
DOC
The longest the guest may be stopped at the end of a migration (default
0.03 s; `ms` and `us` suffixes accepted). The migration stops the guest once
what is still dirty, at the cost per page seen in the last pass, can be sent
in that time.
ENDDOC

COMMAND migrate_set_cachesize|migrate_set_cache_size
ARGS    value:o
PARAMS  value
HELP    set the XBZRLE page cache size (MiB without a suffix)
HANDLER hmp_migrate_set_cachesize
DOC
Sets the size of the cache of pages last sent, which XBZRLE encodes against
(default 64M): the parameter `xbzrle-cache-size`, a power of two, at least
one page, at most the guest's RAM. A change during a migration resizes the
cache at once, keeping the most recently used pages.

    (qemu) migrate_set_cachesize 256m
ENDDOC

COMMAND migrate_set_capability
ARGS    capability:s,state:b
PARAMS  capability on|off
HELP    enable or disable a migration capability
HANDLER hmp_migrate_set_capability
DOC
`xbzrle` (every migration uses XBZRLE, as if `migrate -x` were given),
`auto-converge` (a guest that dirties memory faster than the link takes it
is slowed down, see `migrate-set-capabilities` in docs/qmp.md),
`events` (the `MIGRATION` and `MIGRATION_PASS` events on QMP) or
`return-path` (the closing handshake over connections that carry replies;
on by default). They cannot change during a migration (`There's a
migration process in progress`); an unknown name gets QEMU's `invalid
parameter value: NAME`.

    (qemu) migrate_set_capability xbzrle on
ENDDOC

COMMAND migrate_set_parameter
ARGS    parameter:s,value:s
PARAMS  parameter value
HELP    set a migration parameter
HANDLER hmp_migrate_set_parameter
DOC
The parameters of `migrate-set-parameters` (docs/qmp.md): `max-bandwidth`
(MiB/s without a suffix, as QEMU reads it), `xbzrle-cache-size` (bytes
without a suffix), `downtime-limit`, `x-stall-timeout`, `x-commit-timeout`
(ms), `cpu-throttle-initial`, `cpu-throttle-increment`, `max-cpu-throttle`
(percent, integers), `tls-creds`, `tls-hostname`, `tls-authz` (object ids
and a host name; docs/security.md). A value out of range gets the message
of `migrate-set-parameters` and changes nothing; an unknown name gets
QEMU's `invalid parameter value: NAME`, a size that does not read as one
`Invalid size VALUE`, a percentage that is no integer `Parameter 'NAME'
expects uint64`.

    (qemu) migrate_set_parameter max-bandwidth 100M
    (qemu) migrate_set_parameter downtime-limit 50
    (qemu) migrate_set_parameter tls-creds tls0
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

COMMAND migrate
HELP    show the migration status and statistics
HANDLER hmp_info_migrate
DOC
The status of the current (or last) migration and what it has done. Bytes
count what went on the wire, headers included, except those of
`ram-normal`, which are pages times the page size (QEMU's `normal-bytes`):

    Migration status: active
    transferred ram: 17046 kbytes
    remaining ram: 16 kbytes
    total ram: 131072 kbytes
    total time: 1120 milliseconds
    expected downtime: 3 milliseconds
    transferred ram-duplicate: 310 kbytes
    transferred ram-duplicate: 28672 pages
    transferred ram-normal: 16384 kbytes
    transferred ram-normal: 4096 pages
    transferred ram-xbrle: 106 kbytes
    transferred ram-xbrle: 4096 pages
    overflow ram-xbrle: 0 pages
    cache-hit ram-xbrle: 4096 pages
    cache-lookup ram-xbrle: 8192 pages
    cache size: 67108864 bytes
    xbzrle cache miss rate: 0.00
    xbzrle encoding rate: 157.54
    dirty pages rate: 409600 pages
    iterations: 3
    setup: 12 milliseconds
    throughput: 124.60 mbps

`downtime` replaces `expected downtime` once completed; a failed migration
adds `error:`; while `auto-converge` throttles the guest, a last line says
by how much, as QEMU prints it (`cpu throttle percentage: 30`). The miss rate and encoding rate (page bytes per encoded byte)
are those of the last pass; `iterations` counts dirty-log syncs (one as the
first pass starts); the throughput is that of the last 100 ms (once
completed, the average after the setup), as QEMU prints them. A migration
in `setup`, `failed` or `cancelled` shows its status (and error) only; a
destination its status and `total time`, from the start of the load.
Nothing is printed before the first migration.
ENDDOC

COMMAND migrate_capabilities
HELP    show the migration capabilities
HANDLER hmp_info_migrate_capabilities
DOC
One line per capability, in QEMU's order:

    (qemu) info migrate_capabilities
    xbzrle: off
    auto-converge: off
    events: off
    return-path: on
ENDDOC

COMMAND migrate_parameters
HELP    show the migration parameters
HANDLER hmp_info_migrate_parameters
DOC
One line per parameter with its unit, as QEMU prints them (percentages
without one; `x-commit-timeout`: the bound in force), in the order of
`query-migrate-parameters` (QEMU's HMP lists `max-cpu-throttle` right
after `cpu-throttle-increment`):

    (qemu) info migrate_parameters
    cpu-throttle-initial: 20
    cpu-throttle-increment: 10
    max-bandwidth: 33554432 bytes/second
    downtime-limit: 30 ms
    xbzrle-cache-size: 67108864 bytes
    max-cpu-throttle: 99
    x-stall-timeout: 30000 ms
    x-commit-timeout: 2000 ms
ENDDOC

COMMAND migrate_cache_size
HELP    show the XBZRLE cache size
HANDLER hmp_info_migrate_cache_size
DOC
    (qemu) info migrate_cache_size
    xbzrle cache size: 65536 kbytes
ENDDOC
