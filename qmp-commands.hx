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
ARGS    detach:-d,xbzrle:b?,uri:s
HELP    migrate to a URI
HANDLER qmp_migrate
DOC
Starts migrating to `uri` (`tcp:HOST:PORT`, `unix:PATH`, `exec:COMMAND` or
`fd:NAME`) and returns at once; `detach` is accepted and ignored. `xbzrle`
true uses XBZRLE for this migration. Progress: `query-migrate` and the
`MIGRATION` event (`{"status": ...}` at each change: `setup`, `active`,
`completed`, `failed`, `cancelled`). Fails at once when a migration is in
progress or the URI cannot be opened; a `tcp:` connection is made in the
background (a network can take long), so a refused one fails the migration
instead: `query-migrate` then says why in `error-desc`.

Over a socket the migration ends with a handshake: the destination says it
has loaded everything, the source commits, and only then does the
destination run the guest (the source never resumes it after committing).

    -> { "execute": "migrate",
         "arguments": { "uri": "tcp:127.0.0.1:4444", "xbzrle": true } }
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
0 removes the limit; the default is 33554432 (32 MiB/s).

    -> { "execute": "migrate_set_speed", "arguments": { "value": 1073741824 } }
    <- { "return": {} }
ENDDOC

COMMAND migrate_set_downtime
ARGS    value:T
HELP    set the maximum tolerated downtime in seconds
HANDLER qmp_migrate_set_downtime
DOC
    -> { "execute": "migrate_set_downtime", "arguments": { "value": 0.1 } }
    <- { "return": {} }
ENDDOC

COMMAND migrate_set_cachesize|migrate-set-cache-size
ARGS    value:i
HELP    set the XBZRLE cache size in bytes
HANDLER qmp_migrate_set_cachesize
DOC
At least one page, at most the guest's RAM; resizes a running migration's
cache at once.

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
nothing: an unknown name (`Parameter 'capability' does not accept value
'NAME'`) changes none. Refused during a migration. The capabilities:

- `xbzrle` (off): every migration uses XBZRLE, as if `migrate -x` were given.
- `return-path` (on; QEMU's default is off): over a connection that can
  carry replies (`tcp:`, `unix:`, `fd:` of a socket) the source announces
  the closing handshake: the destination runs the guest only once the source
  has committed the end. Off: QEMU's semantics, the destination runs at the
  end of the stream (needed when the destination reads through a one-way
  relay, `exec:`). See docs/migration.md.
- `events` (off): the `MIGRATION` and `MIGRATION_PASS` events are sent.

    -> { "execute": "migrate-set-capabilities",
         "arguments": { "capabilities": [ { "capability": "xbzrle",
                                            "state": true } ] } }
    <- { "return": {} }
ENDDOC

COMMAND query-migrate-capabilities
HELP    list the migration capabilities and their state
HANDLER qmp_query_migrate_capabilities
DOC
    -> { "execute": "query-migrate-capabilities" }
    <- { "return": [ { "capability": "xbzrle", "state": false },
                     { "capability": "return-path", "state": true },
                     { "capability": "events", "state": false } ] }
ENDDOC

COMMAND migrate-set-parameters
ARGS    max-bandwidth:i?,downtime-limit:i?,xbzrle-cache-size:i?,x-stall-timeout:i?,x-commit-timeout:i?
HELP    set migration parameters
HANDLER qmp_migrate_set_parameters
DOC
Sets any of the parameters, all or nothing: a value out of range gets
QEMU's message (`Parameter 'downtime_limit' expects an integer in the range
of 0 to 2000000 ms`) and changes none. They act on a running migration too.

- `max-bandwidth`: bytes per second (default 33554432; 0: no limit).
- `downtime-limit`: ms the guest may stay stopped at the end (default 30).
- `xbzrle-cache-size`: bytes, at least a page and at most guest RAM,
  rounded down to whole pages (default 67108864).
- `x-stall-timeout`: ms a migration may make no progress (nothing written,
  nothing read) before it fails, on either side (default 30000; 100 to
  86400000). Also the connection's TCP keepalive and TCP_USER_TIMEOUT.
- `x-commit-timeout`: ms from stopping the guest until the destination
  confirms the end; past it the source resumes its guest (0: twenty times
  `downtime-limit`, at least 2000).

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
    <- { "return": { "max-bandwidth": 33554432, "downtime-limit": 30,
                     "xbzrle-cache-size": 67108864,
                     "x-stall-timeout": 30000, "x-commit-timeout": 2000 } }
ENDDOC

COMMAND query-migrate
HELP    return the migration status and statistics
HANDLER qmp_query_migrate
DOC
An empty object before the first migration. Otherwise `status`,
`total-time` (ms), `expected-downtime` (ms; `downtime` once completed),
`error-desc` when failed, `ram` {`transferred`, `remaining`, `total`
(bytes), `duplicate`, `normal` (pages), `duplicate-bytes`, `normal-bytes`,
`dirty-pages-rate` (pages/s), `mbps`, `dirty-sync-count`} and, when XBZRLE
is used, `xbzrle-cache` {`cache-size`, `bytes`, `pages`, `cache-hit`,
`cache-lookup`, `cache-miss`, `cache-miss-rate`, `encoding-rate`,
`overflow`}. Bytes are on the wire, headers included.

    -> { "execute": "query-migrate" }
    <- { "return": { "status": "completed", "total-time": 1150,
                     "downtime": 4,
                     "ram": { "transferred": 17563000, "remaining": 0,
                              "total": 134217728, "duplicate": 28672,
                              "duplicate-bytes": 317000, "normal": 4096,
                              "normal-bytes": 16814000,
                              "dirty-pages-rate": 409600, "mbps": 268.4,
                              "dirty-sync-count": 3 },
                     "xbzrle-cache": { "cache-size": 67108864,
                                       "bytes": 108544, "pages": 4096,
                                       "cache-hit": 4096,
                                       "cache-lookup": 8192,
                                       "cache-miss": 4096,
                                       "cache-miss-rate": 0.0,
                                       "encoding-rate": 154.5,
                                       "overflow": 0 } } }
ENDDOC
