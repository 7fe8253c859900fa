import type { DeviceMessageKey } from './en-devices.js'

/** 关联设备的简体中文文案（从 zh-CN.ts 拆出）。 */
export const zhCNDevices: Record<DeviceMessageKey, string> = {
  'devices.title': '设备',
  'devices.help': '在另一台电脑上也使用 Enclave：把它关联到你的账号，同事看到的是同一个人的多台设备。新设备会加入你的工作区和频道。',
  'devices.count': '你的账号在此工作区有 {count} 台设备。',
  'devices.showCode': '关联新设备',
  'devices.codeHelp': '在新电脑上选择“关联到我的账号”，粘贴或扫描此代码。仅可使用一次，有效期至 {time}。',
  'devices.code': '关联代码',
  'devices.qr': '关联代码的二维码',
  'devices.hide': '取消',
  'devices.asks': '“{name}”请求关联到你的账号。',
  'devices.compare': '它显示的是 {sas} 吗？只有数字相同时才关联：数字不同说明有人在使用你的代码。',
  'devices.yes': '是，关联',
  'devices.no': '否',
  'devices.state.confirmed': '正在关联“{name}”…',
  'devices.state.linked': '“{name}”已关联到你的账号。',
  'devices.state.declined': '你选择了否：“{name}”未关联。如需重试，请生成新代码。',
  'devices.state.timed-out': '未及时确认：“{name}”未关联。如需重试，请生成新代码。',
  'devices.state.failed': '关联“{name}”未完成。如需重试，请生成新代码。',
  'devices.linkTitle': '关联到我的账号',
  'devices.linkHelp': '在已使用 Enclave 的电脑上打开 设置 → 设备 → 关联新设备，然后把代码粘贴到这里。',
  'devices.codeField': '另一台设备上的代码',
  'devices.codePlaceholder': 'enclave://link/…',
  'devices.yourDigits': '请确认另一台设备显示的是 {sas}，然后在那台设备上确认。',
  'devices.linkButton': '关联',
  'devices.linking': '正在等待另一台设备…'
}
