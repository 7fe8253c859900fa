/*
 * The limits people and programs meet at the API, enforced by its schemas and again by the
 * services (and, where they travel, by the wire decoders). One module, so the three agree.
 * Lengths of text are in characters: Unicode code points, as zod counts them (an emoji is one),
 * never UTF-16 units; services count with `textLength`.
 */

/** Characters (code points) in a string: what every text limit here counts. */
export function textLength(text: string): number {
  let points = 0
  // A string iterates by code point, the unit wanted here (not graphemes), with no array made.
  for (const _point of text) points++
  return points
}

/** Longest message text (about 10 pages). */
export const MAX_TEXT_LENGTH = 16_000
/** Devices one message may @mention (a person's devices count each). */
export const MAX_MENTIONS = 100
/** Largest file shared (64 GiB): its manifest (32 bytes per 1 MiB chunk) stays one frame of 2 MiB. */
export const MAX_FILE_BYTES = 64 * 1024 ** 3
/** A shared file's name (no folders: a folder's files are shared one by one). */
export const MAX_FILE_NAME = 255
/** A shared file's media type (`image/png`). */
export const MAX_MIME_LENGTH = 100
/** Most messages in one `chat.history` page. */
export const MAX_HISTORY_PAGE = 1000
/** Longest channel name. */
export const MAX_CHANNEL_NAME = 80
export const MAX_CHANNEL_TOPIC = 250
/** Most devices in one conversation's MLS group (measured up to 500; see bench:groups). */
export const MAX_CHANNEL_MEMBERS = 2000
/** A person's display name, and a workspace's, department's or member's name. */
export const MAX_DISPLAY_NAME = 64
export const MAX_WORKSPACE_NAME = 64
/** Devices a new workspace's creator may invite at once (the colleagues it was talking to), kept connected until they join. */
export const MAX_INVITED_AT_CREATE = 64
/** A member profile's optional fields. */
export const MAX_PROFILE_TITLE = 80
export const MAX_PROFILE_PHONE = 40
export const MAX_PROFILE_EMAIL = 120
/**
 * A member's picture (PNG, JPEG or WebP), in bytes. It travels apart from the membership log,
 * to each member who shows it (docs/protocol.md, avatars); the renderer makes a 128 px square of
 * a few KiB, the cap bounds what a hostile member can make everyone fetch and keep.
 */
export const MAX_AVATAR_BYTES = 48 * 1024
/** The same picture as a data: URL, as the API takes and gives it (base64 plus the longest prefix). */
export const MAX_AVATAR_LENGTH = 'data:image/jpeg;base64,'.length + 4 * Math.ceil(MAX_AVATAR_BYTES / 3)
/**
 * A shared image's or video's thumbnail (PNG, JPEG or WebP), in bytes: made on the sender's
 * device, it travels inside the file's message (under MLS) so the picture shows before the file
 * is fetched; the renderer makes ~320 px ones of 5–20 KiB.
 */
export const MAX_THUMB_BYTES = 32 * 1024
/** The same thumbnail as a data: URL, as the API takes and gives it. */
export const MAX_THUMB_LENGTH = 'data:image/jpeg;base64,'.length + 4 * Math.ceil(MAX_THUMB_BYTES / 3)
/** A shared picture's or video's side, in pixels, as its message states it (for laying it out). */
export const MAX_MEDIA_SIDE = 65_535
/** A shared video's length as its message states it: a day, in milliseconds. */
export const MAX_MEDIA_MS = 24 * 3600_000
/** Extensions one workspace's file policy blocks. */
export const MAX_BLOCKED_EXTENSIONS = 64
/** Departments one member is in. */
export const MAX_MEMBER_DEPARTMENTS = 32
/** Relays a workspace lists; every member keeps a reservation on each. */
export const MAX_WORKSPACE_RELAYS = 8
/** Longest relay multiaddr. */
export const MAX_RELAY_ADDRESS = 256
/** A doc's title. */
export const MAX_DOC_TITLE = 120
/** One Yjs update from a shell: as large as a whole board's state (pasting thousands of shapes). */
export const MAX_DOC_UPDATE_BYTES = 32 * 1024 * 1024
/** One awareness update (cursor, name, colour). */
export const MAX_AWARENESS_BYTES = 64 * 1024
/** Results of one directory search. */
export const MAX_DIRECTORY_RESULTS = 500
/** How long an invite may stay valid. */
export const MIN_INVITE_MS = 1_000
export const MAX_INVITE_MS = 90 * 24 * 3600_000

/** The longest recall time limit a workspace can set (a year, in minutes); no limit is `null`. */
export const MAX_RECALL_MINUTES = 525_600

/** Most people one invite admits (a reusable invite for a team or a whole company). */
export const MAX_INVITE_USES = 10_000
/** A CSV bulk invite: at most this many characters (about 1,000 rows) and rows. */
export const MAX_INVITE_CSV_CHARS = 256 * 1024
export const MAX_INVITE_CSV_ROWS = 1000
/** Who an invite is for (a CSV row's name and email), kept on the device that made it. */
export const MAX_INVITE_LABEL = 200

/** Devices in one call: a mesh, each sending its media to every other. */
export const MAX_CALL_PARTICIPANTS = 4
/** An SDP of a call with audio, video and a screen share is a few KiB; 64 KiB is far beyond. */
export const MAX_SDP_CHARS = 64 * 1024
