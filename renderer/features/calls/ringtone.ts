/** A ring that plays until stopped. */
export interface Ringing { stop(): void }

/** One ring: two tones together for a second, then two seconds of quiet. */
const RING_EVERY_MS = 3_000
const RING_MS = 1_000

/**
 * The incoming-call ring, made with Web Audio (no sound file to ship). A window that has never
 * been clicked may not play sound; the call card and the notification still show.
 */
export function startRinging(): Ringing {
  let context: AudioContext | null = null
  try {
    context = new AudioContext()
    void context.resume().catch(() => undefined)
  } catch {
    context = null
  }
  const ring = (): void => {
    if (context === null || context.state !== 'running') return
    const gain = context.createGain()
    gain.gain.value = 0.08
    gain.connect(context.destination)
    for (const hz of [440, 480]) {
      const tone = context.createOscillator()
      tone.frequency.value = hz
      tone.connect(gain)
      tone.start()
      tone.stop(context.currentTime + RING_MS / 1000)
    }
  }
  ring()
  const timer = setInterval(ring, RING_EVERY_MS)
  return {
    stop: () => {
      clearInterval(timer)
      void context?.close().catch(() => undefined)
      context = null
    }
  }
}
