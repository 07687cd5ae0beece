import { expect, test } from './fixtures.ts'

/** `netns/dev` in a graph link's data-target → the graph box for it. */
const ifaceTestId = (target: string | null) => {
  const [netns, dev] = (target ?? '').split('/')
  return `graph-iface-${netns}-${dev}`
}

test('a DNAT rule and a conntrack entry point at the pod they name; the inspector stays put', async ({ app, page }) => {
  await app.open('?s=clusterip-by-hand')
  await app.step.toFirst({ kind: 'netfilter', netns: 'host', flow: 'request' })

  // iptables: the matched DNAT rule names a backend address; its button selects that pod's eth0.
  await app.inspector.open('iptables')
  const matched = page.getByTestId('chain-nat-TEST-SVC').locator('[data-status="matched"]')
  const dnat = matched.getByTestId('graph-link')
  await expect(dnat).toHaveAccessibleName(/^10\.244\.1\.[34]: highlight .+ in the graph$/)
  const backend = page.getByTestId(ifaceTestId(await dnat.getAttribute('data-target')))
  await expect(backend).not.toHaveClass(/is-selected/)
  // Keyboard: the button is reachable and Enter presses it.
  await dnat.focus()
  await page.keyboard.press('Enter')
  await expect(backend).toHaveClass(/is-selected/)
  await expect(dnat).toHaveAttribute('aria-pressed', 'true')
  await app.screenshot('30-iptables-points-at-backend')
  // Pressing again lets go.
  await dnat.click()
  await expect(backend).not.toHaveClass(/is-selected/)

  // conntrack: at the end the host's table has the connection; the reply source is the backend.
  await app.step.toEnd()
  await app.inspector.open('conntrack')
  await page.getByTestId('netns-picker').selectOption('host')
  const row = app.inspector.table('conntrack').locator('li').filter({ hasText: 'dst=10.96.1.100' })
  const replySrc = row.getByRole('button', { name: /^10\.244\.1\.[34]: highlight/ })
  const pod = page.getByTestId(ifaceTestId(await replySrc.getAttribute('data-target')))
  await replySrc.click()
  await expect(pod).toHaveClass(/is-selected/)
  // The graph points at the pod; the table still shows the host's connections.
  await expect(page.getByTestId('netns-picker')).toHaveValue('host')
  await expect(app.inspector.table('conntrack')).toContainText('dst=10.96.1.100')
  expect((await app.snapshot()).selection).toMatchObject({ inspect: 'host' })
  await app.screenshot('31-conntrack-points-at-backend')
})

test('a Calico node lists its BGP peers and the block it advertises; a peer points at its node', async ({ app, page }) => {
  await app.open('?s=scn-07-pod-to-pod-calico-bgp&v=tables')
  await page.getByTestId('netns-picker').selectOption('node1')
  const bgp = page.getByTestId('table-bgp')
  // two-nodes-calico.yaml: node1 owns 10.244.1.0/24 and peers with node2 (192.168.1.20) in the mesh.
  await expect(bgp.getByTestId('bgp-advertised')).toContainText('10.244.1.0/24')
  await expect(bgp.getByTestId('bgp-peer')).toHaveText(/192\.168\.1\.20 node2 · Established · node-to-node mesh · learned 10\.244\.2\.0\/24/)
  await bgp.getByRole('button', { name: /^192\.168\.1\.20: highlight node node2 in the graph$/ }).click()
  await expect(app.graph.iface('node2', 'eth0')).toHaveClass(/is-selected/)
  await app.screenshot('32-calico-bgp-peers')
})

test('a cluster: the DNS server, its answer, a KUBE-SVC chain and a CNI veth each select their box', async ({ app, page }) => {
  await app.open('?s=cluster-service&v=dns')
  const dns = page.getByTestId('inspector-dns')
  // The query went to the kube-dns ClusterIP; the CoreDNS pod that received it answers for it.
  const server = dns.getByRole('button', { name: /^10\.96\.0\.10: highlight pod kube-system\/coredns-/ })
  const coredns = /pod (kube-system\/coredns-[\w-]+) in the graph$/.exec((await server.getAttribute('aria-label')) ?? '')?.[1]
  await server.click()
  await expect(app.graph.stack(coredns!)).toHaveClass(/is-selected/)
  // The answer is nginx-svc's ClusterIP: its Service box.
  const answer = dns.getByRole('button', { name: /: highlight Service default\/nginx-svc in the graph$/ })
  const ip = await answer.textContent()
  await answer.click()
  await expect(page.getByTestId(`graph-service-${ip}`)).toHaveClass(/is-selected/)

  // iptables at the connection's first nat hook: the KUBE-SVC chain header selects its box.
  const connect = (await app.snapshot()).frames.findIndex((f) => f.kind === 'send' && f.flow === 'request')
  await app.step.toFirst({ kind: 'netfilter', flow: 'request', netns: 'node1' }, connect)
  await app.inspector.open('iptables')
  const svcChain = page.getByRole('button', { name: /^KUBE-SVC-\w+: highlight chain KUBE-SVC-\w+ in the graph$/ })
  const chain = await svcChain.textContent()
  await svcChain.click()
  await expect(page.getByTestId(`graph-chain-${chain}`)).toHaveClass(/is-selected/)

  // CNI: the client pod's host veth.
  await app.inspector.open('cni')
  const veth = page.getByTestId('inspector-cni').getByRole('button', { name: /: highlight veth\w+ on node node1 in the graph$/ }).first()
  const dev = await veth.textContent()
  await veth.click()
  await expect(app.graph.iface('node1', dev!)).toHaveClass(/is-selected/)
  await app.screenshot('33-cluster-points-at-the-graph')
})

test('a box off-screen is brought into view when an inspector points at it; one in view stays put', async ({ app, page }) => {
  await app.open('?s=cluster-service&v=dns')
  const graph = page.getByTestId('graph')
  const server = page.getByTestId('inspector-dns').getByRole('button', { name: /^10\.96\.0\.10: highlight pod kube-system\/coredns-/ })
  const coredns = app.graph.stack(/pod (kube-system\/coredns-[\w-]+) in the graph$/.exec((await server.getAttribute('aria-label')) ?? '')![1]!)
  /** How the box lies in the graph's panel: inside it (with a little room), or not. */
  const inView = async () => {
    const [g, b] = [await graph.boundingBox(), await coredns.boundingBox()]
    return !!g && !!b && b.x >= g.x && b.y >= g.y && b.x + b.width <= g.x + g.width && b.y + b.height <= g.y + g.height
  }
  // Zoom in and drag the view away until the CoreDNS pod is outside the panel.
  const zoomIn = page.getByRole('button', { name: /zoom in/i })
  for (let i = 0; i < 4; i++) await zoomIn.click()
  const g = (await graph.boundingBox())!
  for (let i = 0; i < 8 && (await inView()); i++) {
    const b = (await coredns.boundingBox())!
    // Drag from an empty corner, away from the box.
    const dx = b.x + b.width / 2 < g.x + g.width / 2 ? g.width * 0.6 : -g.width * 0.6
    await page.mouse.move(g.x + g.width / 2 - dx / 2, g.y + g.height - 30)
    await page.mouse.down()
    await page.mouse.move(g.x + g.width / 2 + dx / 2, g.y + g.height - 30, { steps: 5 })
    await page.mouse.up()
  }
  expect(await inView()).toBe(false)

  await server.click()
  await expect(coredns).toHaveClass(/is-selected/)
  await expect.poll(inView).toBe(true)
  await app.screenshot('33-off-screen-pod-brought-into-view')

  // Already in view: pressing again (off) and again (on) does not move the camera.
  const before = await coredns.boundingBox()
  await server.click()
  await server.click()
  await expect(coredns).toHaveClass(/is-selected/)
  expect(await coredns.boundingBox()).toEqual(before)
})
