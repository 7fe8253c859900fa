/** Help texts: one per command, printed by `--help` and with usage errors. */
export const USAGE: Record<string, string> = {
  main: `enclave — serverless, end-to-end encrypted team messenger

Usage: enclave <command> [options]

Commands:
  node       run a headless node
  serve      run a node and serve the Enclave app to a browser on 127.0.0.1
  relay      run the company's relay, or show relay status ('relay status')
  id         this node's peer id and addresses
  peers      known peers and whether they are connected
  dial       connect to a peer by multiaddr
  send       send a message to a peer or conversation
  send-file  share files in a conversation
  files      list the files shared in a conversation (or everywhere)
  get-file   fetch a shared file and save it
  history    show a conversation's messages
  search     find messages, files and docs by words, sender, date
  conversations  list DMs and channels
  channel    create a channel, add or remove members, leave
  workspace  create or list workspaces
  invite     make invite links: for one person, a team, or a CSV of people (admins)
  invites    list invites and who joined with each, or revoke one (admins)
  join       join a workspace by invite link
  backup     back up this device, check a backup, restore one, or schedule backups
  device     link another device to your account by a code
  members    list a workspace's members
  call       invoke any API method and print the JSON result
  events     stream API events as NDJSON

Every command but 'node' talks to the node running for --data DIR
(default: $ENCLAVE_DATA or ~/.enclave). Run 'enclave <command> --help' for details.
Exit status: 0 ok, 1 error, 2 usage error.`,
  node: `Usage: enclave node [--data DIR] [--listen MULTIADDR]... [--peer MULTIADDR]... [--no-mdns] [--api-port N]

Runs a headless node until interrupted. Writes its API endpoint and a secret token to
DIR/api.json (mode 0600) for the other commands.

  --listen MULTIADDR   listen address (repeatable), e.g. /ip4/127.0.0.1/tcp/4001
  --peer MULTIADDR     peer to dial at start and keep reconnecting (repeatable)
  --no-mdns            do not discover peers on the LAN by multicast DNS
  --api-port N         loopback API port (default: any free port)
  --passphrase-file F  unlock the store with the passphrase in file F (or set ENCLAVE_PASSPHRASE)
  --key-file F         unlock the store with key file F (mode 0600; made if missing)
  --relay MULTIADDR    a relay to keep a reservation on (repeatable), so colleagues beyond the
                       LAN reach this device through it
  --mailbox            keep ciphertext for offline members and hand it over when they return
                       (holds no key; join the workspace like any device)

Everything in the store is encrypted. Without a passphrase or key file, the key file is
DIR/store.key: that protects a copied store, not a copied data folder.`,
  relay: `Usage: enclave relay [--data DIR] [--listen MULTIADDR]... [--workspace ID | --allow PEER... | --allow-anyone] [every 'enclave node' option]
       enclave relay status [--json] [--data DIR]

Runs a circuit relay (libp2p circuit relay v2) for colleagues who cannot reach each other
directly: it keeps its identity in DIR and prints its full addresses (with /p2p/<id>) to give
to clients (--relay). Relayed traffic is end-to-end encrypted; the relay sees ciphertext only.
No per-connection time or data limit (a company relay carries chat and files).

  --workspace ID   accept reservations only from active members of this workspace (the relay
                   joins the workspace like any device, to know its members)
  --allow PEER     accept reservations from this device (repeatable)
  --allow-anyone   accept reservations from any device (a lab or a test; never on the internet)

With none of these a relay serves the members of the workspaces it is in, and a relay in no
workspace serves nobody.

'relay status' shows reservations held here, connections (and how many are relayed) and the
relays this node uses.`,
  serve: `Usage: enclave serve [--data DIR] [--port N] [every 'enclave node' option]

Runs a node like 'enclave node' and serves the Enclave app on http://127.0.0.1:N/ (and its
API on the same port). Prints the link to open; it carries a secret token after '#', so only
someone who has the link can use the node. Port and token are kept in DIR/serve.json (mode
0600), so the link stays the same from one start to the next and an open tab reconnects by
itself; delete that file while the node is stopped to get a new token. When the kept port is
taken by another program, another is chosen and the new link printed.

  --port N   HTTP and API port (default: the one used last time, else any free port)`,
  id: `Usage: enclave id [--json] [--data DIR]

Prints this node's peer id and the addresses others can dial.
--json prints {"peerId": …, "addresses": […]}.`,
  peers: `Usage: enclave peers [--json] [--data DIR]

Lists known peers: id, connected or not, addresses.`,
  dial: `Usage: enclave dial MULTIADDR [--json] [--data DIR]

Connects to a peer; the address must end in /p2p/<peerId>. The peer is remembered.`,
  send: `Usage: enclave send PEER|CONVERSATION TEXT [--json] [--data DIR]

Sends TEXT, end-to-end encrypted (MLS). The message is stored and queued at once and delivered
when members are reachable (or through a mailbox node). A DM's first message needs the peer
reachable once, to set up encryption.`,
  'send-file': `Usage: enclave send-file PEER|CONVERSATION PATH... [--caption TEXT] [--json] [--data DIR]

Shares each file, end-to-end encrypted: it is cut into 1 MiB chunks sealed with a key of its
own, which travels only inside the (MLS) message that announces the file. Members fetch the
chunks from anyone in the conversation who holds them. Prints each message's id (the FILE-ID).
A folder shares every file inside it (hidden ones and links left out; at most 500 at once);
--caption goes with the first file.`,
  files: `Usage: enclave files [CONVERSATION] [--json] [--data DIR]

Lists shared files: FILE-ID, name, size, and how much of each is on this device.`,
  'get-file': `Usage: enclave get-file FILE-ID --out PATH [--json] [--data DIR]

Fetches the file (from any member who holds it, resuming what is already here) and writes it
to PATH. On a terminal a progress line shows speed and time left.`,
  conversations: `Usage: enclave conversations [--json] [--data DIR]

Lists DMs and channels: id, name, members, status, unread, and messages still waiting for keys.`,
  channel: `Usage: enclave channel create NAME [--workspace ID] [--topic T] [--open] [--member PEER]...
       enclave channel add CHANNEL PEER...
       enclave channel remove CHANNEL PEER
       enclave channel leave CHANNEL
       [--json] [--data DIR]

Channels are MLS groups. create makes a private channel (--open: any workspace member may
join) with the listed devices; add asks the channel's committer to add devices; remove
(creator or workspace admins) takes a device out, and it cannot read anything sent after.`,
  history: `Usage: enclave history PEER|CONVERSATION [--limit N] [--before ORDER] [--json] [--data DIR]

Prints messages oldest first. --json prints an array of messages, each with its text.`,
  search: `Usage: enclave search QUERY [--in PEER|CONVERSATION] [--from PEER]... [--has file|link]...
                      [--mentions] [--after DATE] [--before DATE] [--limit N] [--json] [--data DIR]

Searches this device's messages and files, newest first, and its notes and boards (by title
and text): English by words and word beginnings, Chinese by any two or more characters, case
and width ignored. DATE is YYYY-MM-DD (local time); --before is exclusive; with --from, --has,
--mentions or a date only messages are searched. --json prints {hits, docs, next, index}: each hit
with the message, a snippet and the ranges that matched; each doc with its snippet.`,
  workspace: `Usage: enclave workspace create NAME [--json] [--data DIR]
       enclave workspace list [--json] [--data DIR]
       enclave workspace relays ID [MULTIADDR... | --clear] [--json] [--data DIR]
       enclave workspace file-rules ID [--max-mb N] [--block exe,bat] [--no-guests] [--clear] [--json] [--data DIR]
       enclave workspace message-rules ID [--recall-minutes N | --clear] [--json] [--data DIR]
       enclave workspace leave ID [--json] [--data DIR]

'create' makes this device the owner of a new workspace. 'leave' takes this device's person out
of it (the owner hands it over first); its conversations stay on this device, read-only.
'relays' lists the company relays a workspace names; with addresses (admins) it replaces the
list and every member dials them and keeps a reservation there. --clear empties it.
'file-rules' shows the workspace's file rules; with options (admins) it replaces them: the
largest file in MB, blocked extensions, and --no-guests to keep files out of conversations
with guests. --clear lifts every rule. Every member's device refuses to share or fetch a file
they forbid.
'message-rules' shows the workspace's message rules; --recall-minutes N (admins) lets members
recall their own messages only within N minutes of sending (channel managers any time), and
--clear lets them recall at any time again.`,
  invite: `Usage: enclave invite [--workspace ID] [--role member|guest|admin] [--uses N] [--department NAME]...
                      [--for TEXT] [--expires 48h] [--approval] [--qr] [--json] [--data DIR]
       enclave invite --csv FILE [--workspace ID] [--expires 48h] [--json] [--data DIR]

Prints an invite link (and a text to paste into mail or chat). By default one person may join
with it; --uses N lets N people join (a team's link). Whoever joins gets the role and is placed
in each --department (a name, or a path such as Sales/East). --for notes who it is for (kept on
this device, shown in the invites table). --expires takes s, m, h or d (default 48h).
--approval holds new members until an admin approves. --qr also draws the link as a QR code.
--csv reads people to invite (name, email, department, role; a header row is optional, several
departments are separated by ';', a department is named by its name or path, e.g. Sales/East)
and prints a personal link per row as CSV (line,name,email,link). A bad row is reported with its
line and why, and then no invite is made.
--workspace may be left out when the device is in one workspace.`,
  join: `Usage: enclave join LINK [--json] [--data DIR]

Joins the workspace an invite link (or pasted invite text) is for, by contacting the device
that made it.`,
  backup: `Usage: enclave backup create [--to FOLDER] [--backup-passphrase-file FILE] [--json] [--data DIR]
       enclave backup verify FILE [--backup-passphrase-file FILE] [--json]
       enclave backup restore FILE --data NEW_DIR [--backup-passphrase-file FILE] [--passphrase-file FILE | --key-file FILE]
       enclave backup schedule --to FOLDER [--every 24h] [--keep 7] [--backup-passphrase-file FILE] | --off
       enclave backup status [--json] [--data DIR]

create    backs up the running node (messages, files it holds, notes and boards, profile and device
          key) into a new file in FOLDER (default: the schedule's folder)
verify    reads a backup whole and checks every byte and the passphrase; restores nothing
restore   makes a new data folder from a backup (NEW_DIR must be empty or missing); nothing is
          written there unless the whole backup checks out. The store is then kept with
          --passphrase-file or --key-file, like 'enclave node' (default: a key file in NEW_DIR)
schedule  automatic backups into FOLDER every --every (h or d), keeping the newest --keep
status    the schedule, the last backup and the last check

The backup passphrase (at least 8 characters) comes from --backup-passphrase-file or
ENCLAVE_BACKUP_PASSPHRASE. Without it nobody can read the backup, Enclave included.`,
  device: `Usage: enclave device link-code [--json] [--data DIR]
       enclave device link CODE [--json] [--data DIR]
       enclave device list [--json] [--data DIR]
       enclave device remove DEVICE_ID [--workspace ID] [--json] [--data DIR]

link-code  on a device already in your workspaces: shows a code (enclave://link/…) that works
           once for 10 minutes, then asks you (on stdin) to confirm the device that uses it.
           Answer y only if that device shows the same six digits.
link       on the new device (one in no workspace yet): shows the six digits to compare, and
           joins every workspace of your account once the other device said yes. Colleagues
           see one person with two devices.
list       your devices in each workspace
remove     removes a lost device from your account in every workspace (an admin removes a
           member's device with --workspace): it is refused from then on, and each channel's
           committer takes it out of the group.`,
  invites: `Usage: enclave invites [--workspace ID] [--json] [--data DIR]
       enclave invites revoke INVITE_ID [--workspace ID] [--json] [--data DIR]

Lists the workspace's invites: id, whom it is for, role and departments, how many of how many
people joined with it and who, and whether it is open (until when), used, revoked or expired.
'revoke' closes an open invite; nobody can join with it afterwards.`,
  members: `Usage: enclave members [--workspace ID] [--json] [--data DIR]

Lists members with role and status. --json prints an array of members.`,
  call: `Usage: enclave call METHOD [JSON] [--data DIR]

Invokes an API method with JSON params (default {}) and prints the JSON result.
Example: enclave call chat.send '{"peerId":"12D3Koo…","text":"hi"}'`,
  events: `Usage: enclave events [--data DIR]

Streams every API event as one JSON object per line: {"event": NAME, "payload": …}.`
}
