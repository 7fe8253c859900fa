/** English strings of linking devices (split from en.ts for size). */
export const enDevices = {
  'devices.title': 'Devices',
  'devices.help': 'Use Enclave on another computer too: link it to your account, and colleagues see one person with several devices. The new device joins your workspaces and your channels.',
  'devices.count': 'Your account has {count} devices in this workspace.',
  'devices.showCode': 'Link a new device',
  'devices.codeHelp': 'On the new computer, choose "Link to my account" and paste this code or scan it. It works once, until {time}.',
  'devices.code': 'Link code',
  'devices.qr': 'QR code of the link code',
  'devices.hide': 'Cancel',
  'devices.asks': '"{name}" asks to link to your account.',
  'devices.compare': 'Does it show {sas}? Link it only if the digits are the same: different digits mean someone else is using your code.',
  'devices.yes': 'Yes, link it',
  'devices.no': 'No',
  'devices.state.confirmed': 'Linking "{name}"…',
  'devices.state.linked': '"{name}" is linked to your account.',
  'devices.state.declined': 'You said no: "{name}" was not linked. Show a new code to try again.',
  'devices.state.timed-out': 'Nobody answered in time: "{name}" was not linked. Show a new code to try again.',
  'devices.state.failed': 'Linking "{name}" did not finish. Show a new code to try again.',
  'devices.linkTitle': 'Link to my account',
  'devices.linkHelp': 'On a computer where you already use Enclave, open Settings → Devices → Link a new device, and paste its code here.',
  'devices.codeField': 'Code from your other device',
  'devices.codePlaceholder': 'enclave://link/…',
  'devices.yourDigits': 'Check that your other device shows {sas}, then confirm there.',
  'devices.linkButton': 'Link',
  'devices.linking': 'Waiting for your other device…'
} as const
export type DeviceMessageKey = keyof typeof enDevices
