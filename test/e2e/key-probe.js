/* global Worker, RTCPeerConnection, RTCRtpScriptTransform, navigator, location */
/**
 * Runs in an Enclave page (calls.spec.ts): two peer connections in the page, the sender's frames
 * sealed by the app's call worker with key 1, the receiver's opened by another worker with key
 * `k`. Returns, for a wrong key and then the right one, how many frames went out sealed and how
 * many the receiver decoded and refused.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- called by the script that embeds this one
async function keyProbe() {
  const worker = (secret) => {
    const w = new Worker(new URL('assets/call-worker.js', location.href), { type: 'module' })
    w.postMessage({ type: 'key', epoch: 1, secret: new Uint8Array(32).fill(secret) })
    return w
  }
  const camera = await navigator.mediaDevices.getUserMedia({ video: true })
  const track = camera.getVideoTracks()[0]
  const stat = async (pc, type, field) => {
    let n = 0
    ;(await pc.getStats()).forEach((r) => { if (r.type === type && r.kind === 'video') n = Number(r[field] ?? 0) })
    return n
  }
  const pair = async (key) => {
    const [sending, receiving] = [worker(1), worker(key)]
    let refused = 0
    receiving.onmessage = (e) => { refused = e.data.refused }
    const a = new RTCPeerConnection({ iceServers: [] })
    const b = new RTCPeerConnection({ iceServers: [] })
    a.onicecandidate = (e) => { if (e.candidate !== null) void b.addIceCandidate(e.candidate) }
    b.onicecandidate = (e) => { if (e.candidate !== null) void a.addIceCandidate(e.candidate) }
    b.ontrack = (e) => { e.receiver.transform = new RTCRtpScriptTransform(receiving, { role: 'decrypt', sender: 'alice' }) }
    // The transform in the same task as addTrack, as the app does.
    const sender = a.addTrack(track, camera)
    sender.transform = new RTCRtpScriptTransform(sending, { role: 'encrypt', sender: 'alice' })
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    // The witness: 60 frames went out sealed (about two seconds of the fake camera).
    const deadline = Date.now() + 30_000
    while (await stat(a, 'outbound-rtp', 'framesEncoded') < 60 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    const out = { encoded: await stat(a, 'outbound-rtp', 'framesEncoded'), decoded: await stat(b, 'inbound-rtp', 'framesDecoded'), refused }
    a.close()
    b.close()
    sending.terminate()
    receiving.terminate()
    return out
  }
  const wrong = await pair(2)
  const right = await pair(1)
  for (const t of camera.getTracks()) t.stop()
  return { wrong, right }
}
