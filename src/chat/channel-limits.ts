/** Longest channel name, in UTF-16 code units. */
export const MAX_CHANNEL_NAME = 80
export const MAX_CHANNEL_TOPIC = 250
/** Most devices in one conversation's MLS group (measured up to 500; see bench:groups). */
export const MAX_CHANNEL_MEMBERS = 2000
