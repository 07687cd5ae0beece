import { expect, test } from './fixtures.ts'

test('a ping over VXLAN: the wrapper is added at flannel.1, rides the underlay, and is removed on node2', async ({ app, page }) => {
  await app.open('?s=ex2-vxlan')

  // Encapsulation on node1: the token sits on flannel.1 and carries an outer IP/UDP/VXLAN wrapper.
  await app.step.toFirst({ kind: 'encap', netns: 'node1' })
  await app.graph.expectCurrent(app.graph.iface('node1', 'flannel.1'))
  await expect(app.graph.token).toHaveAttribute('data-flow', 'request')
  await expect(app.graph.token.locator('.pw-outer .pw-hrow')).toHaveCount(3)
  await expect(app.graph.token.locator('.pw-outer')).toContainText('192.168.1.10')
  await app.inspector.open('packet')
  await expect(app.inspector.packet.getByTestId('layer-vxlan')).toHaveClass(/is-added/)
  await app.screenshot('03-vxlan-encap')

  // On the underlay the tunnel edge lights up, and the token crosses to node2's NIC.
  await app.step.toFirst({ kind: 'segment', flow: 'request' })
  await app.graph.expectCurrent(app.graph.iface('node2', 'eth0'))
  await expect(page.locator('.pw-edge-vxlan.is-tunnel')).toHaveCount(1)
  await app.screenshot('04-vxlan-underlay')

  // Decapsulation on node2: the wrapper shows as removed, then it is gone.
  await app.step.toFirst({ kind: 'decap' })
  await expect(app.inspector.packet.getByTestId('layer-vxlan')).toHaveClass(/is-removed/)
  await app.step.forward()
  await expect(app.graph.token.locator('.pw-outer')).toHaveCount(0)

  // The end: the reply is delivered back to node1-pod.
  await app.step.toEnd()
  await app.inspector.open('step')
  await expect(page.getByTestId('outcome')).toContainText('delivered')
  await expect(page.getByTestId('mark-deliver')).toBeVisible()
  await app.screenshot('05-vxlan-delivered')
})

test('the route a lookup used is marked in the routing table, with the reason', async ({ app }) => {
  await app.open('?s=ex2-vxlan')
  await app.step.toFirst({ kind: 'route', netns: 'node1' })
  await app.inspector.open('tables')
  await expect(app.inspector.usedRows('routes')).toHaveCount(1)
  await expect(app.inspector.usedRows('routes')).toContainText('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink')
  await expect(app.inspector.usedRows('routes')).toContainText('only matching route')
  // Selecting the row highlights its device in the graph.
  await app.inspector.usedRows('routes').getByRole('button').click()
  await expect(app.graph.iface('node1', 'flannel.1')).toHaveClass(/is-selected/)
})
