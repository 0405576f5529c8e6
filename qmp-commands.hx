HXCOMM The QMP (JSON) monitor's commands: the single source of their names,
HXCOMM arguments, help and documentation. scripts/hxtool turns this file into
HXCOMM build/qmp-commands.h (the table monitor.c includes),
HXCOMM build/qmp-handlers.h (the handlers' declarations) and docs/qmp.md.
HXCOMM The syntax is described at the top of scripts/hxtool, the ARGS types in
HXCOMM monitor-args.h. Every DOC shows an example exchange; the tests check
HXCOMM that the examples are valid JSON with arguments the table accepts.
HXCOMM Adding a command: an entry here, and its QmpHandler.

TITLE QMP: the JSON monitor

TABLE qmp_cmds qmp Commands
TEXT
QMP is the monitor for programs: `-qmp unix:PATH,server,nowait` or
`-qmp tcp:HOST:PORT,server,nowait`, one client at a time. It speaks QEMU's
protocol:

- On connection the server sends a greeting:
  `{"QMP": {"version": {"qemu": {"major": 1, "minor": 0, "micro": 50},
  "package": "xbzrle"}, "capabilities": []}}`.
- The client must send `qmp_capabilities` first; before it every other
  command fails with class `CommandNotFound`.
- A request is one JSON object: `{"execute": NAME, "arguments": {...},
  "id": ANY}` (`arguments` and `id` optional). The reply is
  `{"return": VALUE, "id": ID}` or
  `{"error": {"class": CLASS, "desc": TEXT}, "id": ID}`, with the request's
  `id` copied verbatim when it had one.
- Error classes: `GenericError` (bad input, bad arguments, failures),
  `CommandNotFound`, `DeviceNotActive`, `DeviceNotFound`.
- Events arrive between replies:
  `{"event": NAME, "data": {...}, "timestamp": {"seconds": S,
  "microseconds": US}}`: `STOP`, `RESUME`, `SHUTDOWN`, and the migration's.

Arguments are checked against each command's table entry: a missing one
(`Parameter 'uri' is missing`), an unknown one (`Invalid parameter 'foo'`)
or one of the wrong JSON type (`Invalid parameter type for 'value',
expected: integer`) is a `GenericError`. Input that is not JSON, not an
object, or lacks `execute` gets an error reply. A message (or garbage) longer
than 64 KiB, or nested deeper than 1024 levels, disconnects that client only.

An unfinished message waits for the rest. To start over, as the QMP
specification says, a client sends a byte no JSON text holds: an ASCII
control character other than `\t`, `\r` and `\n` (or any, inside a string),
or 0xFF (0xFE). The server drops what it had of the message and answers
once, without `id`: `{"error": {"class": "GenericError", "desc": "JSON parse
error, stray 'TOKEN'"}}`, TOKEN being the byte, or the string it fell in up
to it (invalid UTF-8 shown as U+FFFD). It then skips input up to a `{`, `}`,
`[`, `]`, `:`, `,` or control character (a line end will do), as QEMU's
parser does.

Output a client does not read waits for it, and nothing else waits: other
monitors, the guest and a migration carry on. A client that has let more
than 1 MiB of output wait since it last read any is disconnected, with a
line on stderr naming the chardev, and the socket takes the next client.

The migration commands follow QEMU's documentation (qapi/migration.json),
with QEMU's names, types, units, members per state and error messages.
Where they still differ, and why:

- Features this emulator does not have are absent: of QEMU's parameters
  only `max-bandwidth`, `downtime-limit`, `xbzrle-cache-size`,
  `cpu-throttle-initial`, `cpu-throttle-increment`, `max-cpu-throttle`,
  `tls-creds`, `tls-hostname` and `tls-authz` exist (any other member is an
  `Invalid parameter`, and `query-migrate-parameters` lists only these and
  the project's own `x-stall-timeout`, `x-commit-timeout` and
  `x-postcopy-auto`; `throttle-trigger-threshold` is QEMU's default, 50,
  and there is no `cpu-throttle-tailslow`); of its capabilities only
  `xbzrle`, `auto-converge`, `events`, `postcopy-ram` and `return-path`
  (another name `does not accept value`); `migrate` takes `uri`, `detach`
  and `resume` but not `channels` (nor the old block migration's `blk` and
  `inc`), `migrate-incoming` `uri` but not `channels` or `exit-on-error`; `query-migrate` never shows
  `blocked-reasons`, `vfio`, `socket-address` or `postcopy-blocktime`,
  and the `ram` figures of multifd and zero-copy are 0.
  No `cancelling` status: a cancelled migration stays `setup` or `active`
  until its thread has stopped, then becomes `cancelled`; no
  `pre-switchover` or `device` status (no `pause-before-switchover`
  capability).
- `return-path` is on by default (QEMU: off): the closing handshake is what
  keeps exactly one guest running.
- On the destination `query-migrate` also shows `total-time` (ms since the
  load started) and, once failed, `error-desc`: QEMU shows only the
  status, which leaves a tool nothing to report. A failed load on a
  listening transport (`tcp:`, `unix:`) waits for the next source, status
  `failed`, where QEMU exits by default.
- `xbzrle-cache` appears when the migration uses XBZRLE (the capability or
  `migrate`'s `xbzrle`), not when the capability is on now: turning it off
  after a migration does not hide that migration's figures.
- Numbers: a parameter value of another JSON type gets this monitor's
  `Invalid parameter type for 'max-bandwidth', expected: integer` (QEMU:
  `Parameter 'max-bandwidth' expects uint64`); a negative `max-bandwidth`
  is refused, where QEMU reads it as 2^64 minus that and accepts it (a
  JSON integer here is at most 2^63-1).
- `xbzrle-cache-size` is also bounded by guest RAM, as earlier QEMU
  versions bounded it (with the message kept here): a larger cache would
  only waste memory.
- `migrate-incoming` after `-incoming URI` is refused as "already started"
  (QEMU would open a second listener); `migrate` from `postmigrate` is
  allowed (recent QEMU refuses it): the guest is intact, and migrating it
  again is how a stopped copy is made.
- `MIGRATION_PASS` for the final stage's dirty-log sync comes once that
  stage's RAM has been sent (the thread is busy until then), not at the
  sync.
- HMP prints an error as the message alone (QEMU: `Error: ` first), keeps
  the proposal's `info migrate` lines (then QEMU's `setup:` and
  `throughput:`), and reads `downtime-limit` as a plain number of ms
  (QEMU's HMP also takes size suffixes there).
ENDTEXT

COMMAND qmp_capabilities
ARGS    enable:A?
HELP    end capabilities negotiation (required first)
HANDLER qmp_qmp_capabilities
DOC
Leaves capabilities negotiation mode. `enable` lists the capabilities of the
greeting to turn on; none is offered, so it may only be empty. A name QEMU
knows but this server does not offer (`oob`) fails with the `GenericError`
`Capability oob not available`, any other with `Parameter 'null' does not
accept value 'NAME'` (QEMU's wording), and negotiation goes on. Sent again
after negotiation, it fails with `CommandNotFound`.

    -> { "execute": "qmp_capabilities" }
    <- { "return": {} }

    -> { "execute": "qmp_capabilities", "arguments": { "enable": [ "oob" ] } }
    <- { "error": { "class": "GenericError",
                    "desc": "Capability oob not available" } }
ENDDOC

COMMAND query-commands
HELP    list the commands this monitor accepts
HANDLER qmp_query_commands
DOC
Returns an array of objects with one member, `name`.

    -> { "execute": "query-commands" }
    <- { "return": [ { "name": "qmp_capabilities" },
                     { "name": "query-commands" },
                     { "name": "query-version" } ] }

(shortened)
ENDDOC

COMMAND query-version
HELP    return the version of the emulator
HANDLER qmp_query_version
DOC
Returns `qemu` (`major`, `minor`, `micro`: integers) and `package` (a
string).

    -> { "execute": "query-version" }
    <- { "return": { "qemu": { "major": 1, "minor": 0, "micro": 50 },
                     "package": "xbzrle" } }
ENDDOC

COMMAND query-status
HELP    return the run state of the machine
HANDLER qmp_query_status
DOC
Returns `running` (boolean: the vCPU runs), `singlestep` (always false) and
`status`, one of `prelaunch`, `running`, `paused`, `inmigrate`,
`finish-migrate`, `postmigrate`, `restore-vm`, `internal-error`, `shutdown`,
`debug`.

    -> { "execute": "query-status" }
    <- { "return": { "running": true, "singlestep": false,
                     "status": "running" } }
ENDDOC

COMMAND query-name
HELP    return the name of the machine (-name)
HANDLER qmp_query_name
DOC
Returns `name`, a string, when the machine has one; otherwise an empty
object.

    -> { "execute": "query-name" }
    <- { "return": { "name": "source" } }
ENDDOC

COMMAND stop
HELP    stop the virtual CPU
HANDLER qmp_stop
DOC
Pauses the guest; the `STOP` event follows when it was running. Stopping a
machine that is not running does nothing.

    -> { "execute": "stop" }
    <- { "return": {} }
ENDDOC

COMMAND cont
HELP    resume the virtual CPU
HANDLER qmp_cont
DOC
Resumes the guest; the `RESUME` event follows. Fails with a `GenericError`
when the machine cannot run (an incoming migration not finished, an internal
error of the vCPU).

    -> { "execute": "cont" }
    <- { "return": {} }
ENDDOC

COMMAND quit
HELP    quit the emulator
HANDLER qmp_quit
DOC
Replies, then ends the program cleanly (the `SHUTDOWN` event may come
before the connection closes). The exit status is 0.

    -> { "execute": "quit" }
    <- { "return": {} }
ENDDOC

COMMAND system_reset
HELP    reset the machine
HANDLER qmp_system_reset
DOC
Resets the machine: the vCPU restarts at the loader's entry point; RAM keeps
its contents.

    -> { "execute": "system_reset" }
    <- { "return": {} }
ENDDOC

COMMAND pmemsave
ARGS    val:i,size:i,filename:s
HELP    save guest-physical memory to a file
HANDLER qmp_pmemsave
DOC
Writes `size` bytes of guest-physical memory starting at address `val` to
the file `filename` (created or truncated). Fails with a `GenericError`
(and leaves no file) when part of the range is not RAM or the file cannot be
written.

    -> { "execute": "pmemsave",
         "arguments": { "val": 1048576, "size": 4096,
                        "filename": "/tmp/page" } }
    <- { "return": {} }
ENDDOC

COMMAND screendump
ARGS    filename:s
HELP    save the display as a PPM image
HANDLER qmp_screendump
DOC
Writes what the display shows (`-display sdl`: the text console, 8x16
pixels per character, the cursor as an inverted cell) to `filename` as a
binary PPM (P6, 8 bits per channel), created or truncated. Fails with a
`GenericError` without a display (`no display (start with -display sdl)`)
or when the file cannot be written (and then leaves no file).

    -> { "execute": "screendump",
         "arguments": { "filename": "/tmp/screen.ppm" } }
    <- { "return": {} }
ENDDOC

COMMAND human-monitor-command
ARGS    command-line:s,cpu-index:i?
HELP    run an HMP command line and return its output
HANDLER qmp_human_monitor_command
DOC
Runs one line of the human monitor and returns what it printed, as a string
with `\r\n` line ends. An HMP error is part of that text, not a QMP error.
`cpu-index` names the CPU the line acts on: the machine has one, 0; any
other index fails with the `GenericError` `Parameter 'cpu-index' expects a
CPU number`.

    -> { "execute": "human-monitor-command",
         "arguments": { "command-line": "info status" } }
    <- { "return": "VM status: running\r\n" }
ENDDOC

COMMAND getfd
ARGS    fdname:s
HELP    receive a file descriptor passed with SCM_RIGHTS and name it
HANDLER qmp_getfd
DOC
Keeps the file descriptor sent with this request (`SCM_RIGHTS` on a Unix
socket monitor) under the name `fdname`, for `migrate` with `fd:NAME`. A
descriptor already kept under that name is closed. Fails when no descriptor
came with the request, or when the name starts with a digit.

    -> { "execute": "getfd", "arguments": { "fdname": "migfd" } }
    <- { "return": {} }
ENDDOC

COMMAND closefd
ARGS    fdname:s
HELP    close a file descriptor received with getfd
HANDLER qmp_closefd
DOC
Closes the descriptor kept under `fdname`; fails when there is none.

    -> { "execute": "closefd", "arguments": { "fdname": "migfd" } }
    <- { "return": {} }
ENDDOC

COMMAND object-add
ARGS    qom-type:s,id:s,*
HELP    create an object (TLS credentials, authorization)
HANDLER qmp_object_add
DOC
Creates an object of type `qom-type` named `id` (letters, digits, `-`,
`.`, `_`, starting with a letter), as `-object` does on the command line.
Its properties are the other members (QEMU 6 and later), or the members of
`props` (older QEMU): strings, booleans for on/off properties. The object
is made whole or not at all: any error leaves nothing behind. Types and
their properties:

- `tls-creds-x509`: `endpoint` (`client`, the default, or `server`),
  `dir` (required), `verify-peer` (boolean, default true: a server asks
  for and checks client certificates, a client checks the server's),
  `sanity-check` (boolean, default true: the credentials' own certificate
  must verify against their CA at creation), `priority` (a GnuTLS priority
  string, default `NORMAL`). `dir` holds QEMU's files: `ca-cert.pem`,
  `server-cert.pem` and `server-key.pem` (server), `client-cert.pem` and
  `client-key.pem` (client, optional, as a pair), optionally `ca-crl.pem`
  and, for a server, `dh-params.pem`. Everything is loaded at creation; a
  missing or unreadable file, or a certificate that does not match its key,
  fails naming the file.
- `tls-creds-psk`: `endpoint`, `dir`, `priority` as above, and `username`
  (client only; default `qemu`). `dir` holds `keys.psk`, lines
  `NAME:HEXKEY`; a client needs the line of its username.
- `authz-simple`: `identity`, the one identity it lets in (an x509
  distinguished name such as `CN=laptop.example.com,O=Example Org`, or a
  PSK username).

Errors, with QEMU's wording: `invalid object type: TYPE`, `Property
'TYPE.NAME' not found`, `Parameter 'NAME' does not accept value 'VALUE'`,
`Parameter 'id' expects an identifier`, and for an id already taken
`attempt to add duplicate property 'ID' to object (type 'container')`.

    -> { "execute": "object-add",
         "arguments": { "qom-type": "tls-creds-x509", "id": "tls0",
                        "endpoint": "server", "dir": "/etc/pki/qemu",
                        "verify-peer": true } }
    <- { "return": {} }

    -> { "execute": "object-add",
         "arguments": { "qom-type": "authz-simple", "id": "auth0",
                        "props": { "identity": "CN=laptop.example.com" } } }
    <- { "return": {} }

    -> { "execute": "object-add",
         "arguments": { "qom-type": "tls-creds-x509", "id": "tls1",
                        "dir": "/nowhere" } }
    <- { "error": { "class": "GenericError",
                    "desc": "Unable to access credentials /nowhere/ca-cert.pem: No such file or directory" } }
ENDDOC

COMMAND object-del
ARGS    id:s
HELP    delete an object
HANDLER qmp_object_del
DOC
Deletes the object `id`. Fails with `object 'ID' not found`, or with
`object 'ID' is in use, can not be deleted` while something uses it (TLS
credentials during a migration or a session, an authorization object a
session checks with).

    -> { "execute": "object-del", "arguments": { "id": "tls0" } }
    <- { "return": {} }
ENDDOC

COMMAND migrate
ARGS    detach:-d,xbzrle:b?,resume:b?,uri:s
HELP    migrate to a URI
HANDLER qmp_migrate
DOC
Starts migrating to `uri` (`tcp:HOST:PORT`, `unix:PATH`, `exec:COMMAND` or
`fd:NAME`) and returns at once; `detach` is accepted and ignored. `xbzrle`
true uses XBZRLE for this migration. Progress: `query-migrate` and the
`MIGRATION` event (`{"status": ...}` at each change: `setup`, `active`,
`completed`, `failed`, `cancelled`; with the `events` capability on). Fails
at once, with QEMU's messages, during a migration (`There's a migration
process in progress`) or on a destination (`Guest is waiting for an
incoming migration`), and when the URI cannot be opened; a `tcp:`
connection is made in the background (a network can take long), so a
refused one fails the migration instead: `query-migrate` then says why in
`error-desc`.

Over a socket the migration ends with a handshake: the destination says it
has loaded everything, the source commits, and only then does the
destination run the guest (the source never resumes it after committing).

`resume` true (QEMU 3.0's): a post-copy migration in `postcopy-paused`
goes on over a new connection to `uri` (`tcp:` or `unix:`), where the
destination waits after `migrate-recover`; otherwise `Cannot resume if there
is no paused migration`.

    -> { "execute": "migrate",
         "arguments": { "uri": "tcp:127.0.0.1:4444", "xbzrle": true } }
    <- { "return": {} }
ENDDOC

COMMAND migrate-incoming
ARGS    uri:s
HELP    start an incoming migration (started with -incoming defer)
HANDLER qmp_migrate_incoming
DOC
Starts waiting for the migration on `uri` (the forms of `-incoming`:
`tcp:HOST:PORT`, `unix:PATH`, `exec:COMMAND`, `fd:NAME`) on a machine
started with `-incoming defer`, which waits in the `inmigrate` state
without listening, so that capabilities and parameters can be set first.
`query-migrate` then says `setup` until a source connects. The errors are
QEMU's: `The incoming migration has already been started` (a second time,
or with `-incoming URI`), `'-incoming' was not specified on the command
line`; a URI that cannot be opened fails and may be tried again.

    -> { "execute": "migrate-incoming",
         "arguments": { "uri": "tcp:127.0.0.1:4444" } }
    <- { "return": {} }

    -> { "execute": "migrate-incoming",
         "arguments": { "uri": "tcp:127.0.0.1:4444" } }
    <- { "error": { "class": "GenericError",
                    "desc": "The incoming migration has already been started" } }
ENDDOC

COMMAND migrate-start-postcopy
HELP    switch a running migration to post-copy
HANDLER qmp_migrate_start_postcopy
DOC
With the `postcopy-ram` capability on (on both sides, before the
migration starts): at the next chance the source stops the guest, the
destination drops its stale pages, takes the devices and runs the guest at
once; the pages it touches that have not arrived are fetched on demand
(userfaultfd) while the source sends the rest. Statuses `postcopy-active`,
then `completed`; `query-migrate`'s `ram` counts `postcopy-requests`, and
`downtime` is the switch's. QEMU's errors: `Enable postcopy with
migrate_set_capability before the start of migration`, `Postcopy must be
started after migration has been started`. `migrate_cancel` is refused once
switched (`Postcopy migration in progress, cannot cancel.`): the guest runs
on the destination.

    -> { "execute": "migrate-start-postcopy" }
    <- { "return": {} }
ENDDOC

COMMAND migrate-recover
ARGS    uri:s
HELP    wait for a broken post-copy's source on a new URI
HANDLER qmp_migrate_recover
DOC
On a destination in `postcopy-paused` (the link broke after the switch;
its guest waits on the pages it lacks): listens on `uri` (`tcp:`, `unix:`)
for the source's `migrate` with `resume`. The post-copy then goes on: the
destination tells which pages it has, the source sends the others. QEMU's
errors: `Migrate recover can only be run when postcopy is paused.`,
`Migrate recovery is triggered already`.

    -> { "execute": "migrate-recover",
         "arguments": { "uri": "tcp:0:4445" } }
    <- { "return": {} }
ENDDOC

COMMAND migrate_cancel
HELP    cancel the current migration
HANDLER qmp_migrate_cancel
DOC
The guest runs on here as before; the status becomes `cancelled`.

    -> { "execute": "migrate_cancel" }
    <- { "return": {} }
ENDDOC

COMMAND migrate_set_speed
ARGS    value:i
HELP    set the maximum migration speed in bytes per second
HANDLER qmp_migrate_set_speed
DOC
Sets the parameter `max-bandwidth` (see `migrate-set-parameters`, which
checks it). 0 removes the limit; the default is 33554432 (32 MiB/s).

    -> { "execute": "migrate_set_speed", "arguments": { "value": 1073741824 } }
    <- { "return": {} }
ENDDOC

COMMAND migrate_set_downtime
ARGS    value:T
HELP    set the maximum tolerated downtime in seconds
HANDLER qmp_migrate_set_downtime
DOC
Sets the parameter `downtime-limit` to `value` seconds (rounded to ms).
Out of 0 to 2000 it fails with QEMU's message, `Parameter
'downtime_limit' expects an integer in the range of 0 to 2000 seconds`.

    -> { "execute": "migrate_set_downtime", "arguments": { "value": 0.1 } }
    <- { "return": {} }
ENDDOC

COMMAND migrate_set_cachesize|migrate-set-cache-size
ARGS    value:i
HELP    set the XBZRLE cache size in bytes
HANDLER qmp_migrate_set_cachesize
DOC
Sets the parameter `xbzrle-cache-size`, with its checks and messages (see
`migrate-set-parameters`): a power of two, at least a page, at most the
guest's RAM. Resizes a running migration's cache at once.

    -> { "execute": "migrate_set_cachesize", "arguments": { "value": 268435456 } }
    <- { "return": {} }
ENDDOC

COMMAND query-migrate-cache-size
HELP    return the XBZRLE cache size in bytes
HANDLER qmp_query_migrate_cache_size
DOC
    -> { "execute": "query-migrate-cache-size" }
    <- { "return": 67108864 }
ENDDOC

COMMAND migrate-set-capabilities
ARGS    capabilities:A
HELP    enable or disable migration capabilities
HANDLER qmp_migrate_set_capabilities
DOC
`capabilities` is a list of `{"capability": NAME, "state": BOOL}`. All or
nothing: every entry is checked before any capability changes, with QEMU's
messages: `Parameter 'capability' does not accept value 'NAME'` for an
unknown name, `Invalid parameter type for 'capabilities[0].state',
expected: boolean`, `Parameter 'capabilities[0].state' is missing`,
`Parameter 'capabilities[0].foo' is unexpected`. During an outgoing
migration: `There's a migration process in progress`. The capabilities:

- `xbzrle` (off): every migration uses XBZRLE, as if `migrate -x` were given.
- `auto-converge` (off): when the guest dirties memory faster than the
  migration sends it, the vCPU is throttled (QEMU's rule): once the bytes
  dirtied over a period of at least a second exceed half the bytes sent in
  it, twice in a row, the vCPU runs only `100 - cpu-throttle-initial`
  percent of the time (a 10 ms slice, then held out of the guest), and
  `cpu-throttle-increment` more each further time, up to
  `max-cpu-throttle`. `query-migrate` shows `cpu-throttle-percentage`
  meanwhile; the throttle ends with the migration, however it ends.
- `events` (off): the `MIGRATION` event (`{"status": ...}` at each change
  of either side's status) and the `MIGRATION_PASS` event (`{"pass": N}`,
  the source's dirty-sync count, 1 as the first pass starts) are sent; off,
  neither is.
- `return-path` (on; QEMU's default is off): over a connection that can
  carry replies (`tcp:`, `unix:`, `fd:` of a socket) the source announces
  the closing handshake: the destination runs the guest only once the source
  has committed the end. Off: QEMU's semantics, the destination runs at the
  end of the stream (needed when the destination reads through a one-way
  relay, `exec:`). See docs/migration.md.

    -> { "execute": "migrate-set-capabilities",
         "arguments": { "capabilities": [ { "capability": "xbzrle",
                                            "state": true } ] } }
    <- { "return": {} }
ENDDOC

COMMAND query-migrate-capabilities
HELP    list the migration capabilities and their state
HANDLER qmp_query_migrate_capabilities
DOC
Every capability once, in QEMU's order.

    -> { "execute": "query-migrate-capabilities" }
    <- { "return": [ { "capability": "xbzrle", "state": false },
                     { "capability": "auto-converge", "state": false },
                     { "capability": "events", "state": false },
                     { "capability": "return-path", "state": true } ] }
ENDDOC

COMMAND migrate-set-parameters
ARGS    cpu-throttle-initial:i?,cpu-throttle-increment:i?,max-bandwidth:i?,downtime-limit:i?,xbzrle-cache-size:i?,max-cpu-throttle:i?,x-stall-timeout:i?,x-commit-timeout:i?,tls-creds:s?,tls-hostname:s?,tls-authz:s?,x-postcopy-auto:b?
HELP    set migration parameters
HANDLER qmp_migrate_set_parameters
DOC
Sets any of the parameters, all or nothing: every value is checked first,
and one out of range fails with QEMU's message and changes none. They act
on a running migration too, and may be set on a destination before
`migrate-incoming`. The parameters and their messages:

- `cpu-throttle-initial`: the percentage `auto-converge` first throttles
  the vCPU by (default 20; 1 to 99: `Parameter 'cpu_throttle_initial'
  expects an integer in the range of 1 to 99`).
- `cpu-throttle-increment`: the percentage it adds each further time
  (default 10; 1 to 99, the same message with `cpu_throttle_increment`).
- `max-bandwidth`: bytes per second (default 33554432; 0: no limit).
  Negative: `Parameter 'max_bandwidth' expects an integer in the range of 0
  to 9223372036854775807 bytes/second`.
- `downtime-limit`: ms the guest may stay stopped at the end (default 30;
  0 to 2000000): `Parameter 'downtime_limit' expects an integer in the
  range of 0 to (2000 * 1000) ms` (QEMU's text, macro and all).
- `xbzrle-cache-size`: bytes, a power of two, at least a page (default
  67108864): `Parameter 'xbzrle_cache_size' expects a power of two no less
  than the target page size`; at most guest RAM, as QEMU had it: `Parameter
  'cache size' expects exceeds guest ram size`.
- `max-cpu-throttle`: the highest percentage (default 99), from
  `cpu-throttle-initial` to 99: `Parameter 'max_cpu_throttle' expects an
  integer in the range of cpu_throttle_initial to 99`, also when
  `cpu-throttle-initial` is set above it.
- The three percentages are QEMU's `uint8`: beyond 255 or negative,
  `Parameter 'cpu-throttle-initial' expects uint8_t` (the member's name).
- `x-stall-timeout` (this emulator's): ms a migration may make no progress
  (nothing written, nothing read) before it fails, on either side (default
  30000; 100 to 86400000: `Parameter 'x-stall-timeout' expects an integer
  in the range of 100 to 86400000 ms`). Also the connection's TCP
  keepalive and TCP_USER_TIMEOUT.
- `x-commit-timeout` (this emulator's): ms from stopping the guest until
  the destination confirms the end; past it the source resumes its guest
  (0: twenty times `downtime-limit`, at least 2000; at most 86400000).
- `tls-creds`: the id of a `tls-creds-x509` or `tls-creds-psk` object
  (`endpoint=client` on the source, `server` on the destination): `tcp:`,
  `unix:` and `fd:` (of a socket) migrations then run inside TLS, the
  closing handshake and the return path included; set on both sides (on
  the destination before `migrate-incoming`). Empty or null: plaintext,
  the default.
- `tls-hostname`: the name the destination's x509 certificate must carry;
  empty: the host of a `tcp:` URI (`unix:` and `fd:` need it).
- `tls-authz`: on the destination, the id of an `authz-simple` object: the
  one client identity let in (its certificate's distinguished name, or
  the PSK username). See docs/security.md.
- `x-postcopy-auto` (this emulator's, boolean, default false): with the
  `postcopy-ram` capability, the source switches to post-copy by itself
  once pre-copy stalls: after the third pass (the first that can use
  XBZRLE's cache), when the expected downtime has stayed above the limit
  without falling by a tenth for two passes in a row. `query-migrate` then
  says after which pass (`x-postcopy-auto-pass`).

The 1.x commands (`migrate_set_speed`, `migrate_set_downtime`,
`migrate_set_cachesize`) set the same values through the same checks.

    -> { "execute": "migrate-set-parameters",
         "arguments": { "max-bandwidth": 1073741824, "downtime-limit": 50 } }
    <- { "return": {} }
ENDDOC

COMMAND query-migrate-parameters
HELP    return the migration parameters
HANDLER qmp_query_migrate_parameters
DOC
Every parameter; `x-commit-timeout` is the bound in force (derived when
set to 0).

    -> { "execute": "query-migrate-parameters" }
    <- { "return": { "cpu-throttle-initial": 20, "cpu-throttle-increment": 10,
                     "max-bandwidth": 33554432, "downtime-limit": 30,
                     "xbzrle-cache-size": 67108864, "max-cpu-throttle": 99,
                     "x-stall-timeout": 30000, "x-commit-timeout": 2000,
                     "tls-creds": "", "tls-hostname": "", "tls-authz": "",
                     "x-postcopy-auto": false } }
ENDDOC

COMMAND query-migrate
HELP    return the migration status and statistics
HANDLER qmp_query_migrate
DOC
QEMU's `MigrationInfo`, with the members QEMU shows in each state. Of an
outgoing migration:

- never started: `{}`;
- `setup` (connecting, preparing), `cancelled`: `status` only;
- `failed`: `status` and `error-desc` (why);
- `active`: `status`, `total-time` and `setup-time` (ms since `migrate`;
  ms it took before the first pass), `expected-downtime` (ms), `ram`,
  `xbzrle-cache` when the migration uses XBZRLE, and
  `cpu-throttle-percentage` (an integer) while `auto-converge` throttles
  the guest;
- `completed`: the same with `downtime` (ms the guest was stopped) instead
  of `expected-downtime`, and `total-time` the whole migration's; never
  `cpu-throttle-percentage` (the throttle ends with the migration);
- `postcopy-active`, `postcopy-paused`, `postcopy-recover` (after the
  switch to post-copy; `migrate-start-postcopy`): as `active`; once
  completed, `downtime` is the switch's (stopped here to running there).
  With `x-postcopy-auto`, the extra member `x-postcopy-auto-pass` says
  after which pass the policy switched.

`ram` is QEMU's `MigrationStats`, every member an integer but `mbps`:
`transferred` (bytes of RAM records on the wire), `remaining` (bytes of
dirty pages not yet sent; 0 once completed), `total` (bytes of guest RAM),
`duplicate` and `normal` (pages sent as one repeated byte, and whole),
`normal-bytes` (`normal` times `page-size`, as QEMU counts them),
`dirty-pages-rate` (pages dirtied per second in the last pass; 0 once
completed), `mbps` (a number: Mbit/s the stream carried over the last
100 ms, from the start of the first pass; once completed the average over
the migration after its setup), `dirty-sync-count` (dirty-log syncs: one
as the first pass starts, one after each pass), `page-size` (4096),
`pages-per-second` (RAM pages sent over the last 100 ms), `precopy-bytes`
and `downtime-bytes` (of `transferred`, those sent while the guest ran, and
while it was stopped), `postcopy-requests` (pages the destination asked
for after the switch), `postcopy-bytes` (of `transferred`, those sent
after the switch), `multifd-bytes`, `dirty-sync-missed-zero-copy` (always
0: there is no multifd or zero-copy here). One extra member, the proposal's:
`duplicate-bytes` (bytes on the wire of the duplicate pages).

`xbzrle-cache` is QEMU's `XBZRLECacheStats`: `cache-size` (bytes, the
configured `xbzrle-cache-size`), `bytes` and `pages` (of XBZRLE deltas on
the wire), `cache-miss` (pages not found in the cache), `cache-miss-rate`
and `encoding-rate` (numbers: misses per lookup, and page bytes per encoded
byte, in the last pass), `overflow` (deltas too large to send: sent whole).
Extra members, the proposal's: `cache-hit` and `cache-lookup` (pages).

On a destination that has not migrated out, the incoming migration's own
status: nothing before it starts (also with `-incoming defer` until
`migrate-incoming`), `setup` while waiting for the source, then `active`
(and the post-copy states), `completed` or `failed`. Beyond QEMU, which shows only the status there:
`total-time`, ms from the start of the load to its end (or now), and
`error-desc` when it failed.

    -> { "execute": "query-migrate" }
    <- { "return": { "status": "completed", "total-time": 1150,
                     "setup-time": 12, "downtime": 4,
                     "ram": { "transferred": 17563000, "remaining": 0,
                              "total": 134217728, "duplicate": 28672,
                              "normal": 4096, "normal-bytes": 16777216,
                              "dirty-pages-rate": 0, "mbps": 124.6,
                              "dirty-sync-count": 4,
                              "postcopy-requests": 0, "page-size": 4096,
                              "multifd-bytes": 0, "pages-per-second": 40960,
                              "precopy-bytes": 17455000,
                              "downtime-bytes": 108000,
                              "postcopy-bytes": 0,
                              "dirty-sync-missed-zero-copy": 0,
                              "duplicate-bytes": 317000 },
                     "xbzrle-cache": { "cache-size": 67108864,
                                       "bytes": 108544, "pages": 4096,
                                       "cache-miss": 4096,
                                       "cache-miss-rate": 0.0,
                                       "encoding-rate": 154.5,
                                       "overflow": 0, "cache-hit": 4096,
                                       "cache-lookup": 8192 } } }

    -> { "execute": "query-migrate" }
    <- { "return": { "status": "setup" } }
ENDDOC
