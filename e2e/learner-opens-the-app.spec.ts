import { expect, test } from './fixtures.ts'

test('a first visit opens the welcome scenario, which teaches something within seconds', async ({ app, page }) => {
  await app.open()
  await expect(page).toHaveTitle(/packetwalk/)
  const s = await app.snapshot()
  expect(s.scenario).toBe('scn-00-welcome')
  expect(s.frame).toBe(0)
  // Narration says what the boxes are and what to press; the graph shows both pods and the bridge.
  await expect(page.getByTestId('narration')).toContainText('network namespace')
  await expect(page.getByTestId('graph-netns-pod-a')).toBeVisible()
  await expect(page.getByTestId('graph-iface-host-cni0')).toBeVisible()
  await expect(app.graph.token).toBeVisible()
  await expect(page.getByTestId('frame-counter')).toHaveText(`1 / ${s.total}`)
  // The header card sits inside the pane (the top row leaves it room).
  const pane = await page.getByTestId('graph').boundingBox()
  const card = await page.getByTestId('packet-card').boundingBox()
  expect(card!.y).toBeGreaterThanOrEqual(pane!.y)
  await app.screenshot('welcome')
})

test('the picker lists the curriculum in order, grouped by section, then your files and the demos', async ({ app, page }) => {
  await app.open()
  const picker = page.getByTestId('scenario-picker')
  const groups = await picker.locator('optgroup').evaluateAll((gs) => gs.map((g) => g.getAttribute('label')))
  expect(groups[0]).toBe('Start here')
  expect(groups).toContain('8.1 The pause container')
  expect(groups.indexOf('8.5 Pod-to-pod communication — same node')).toBeLessThan(groups.indexOf('8.7 Services and kube-proxy — iptables rules'))
  expect(groups.at(-1)).toBe('Built-in demos')
  const ids = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
  expect(ids.slice(0, 3)).toEqual(['scn-00-welcome', 'scn-01-pause-container', 'scn-02-pod-gets-an-ip'])
  await expect(picker.locator('option[value="scn-08-clusterip-service"]')).toHaveText('A ClusterIP Service is a set of DNAT rules')
})

test('the dark theme keeps everything readable', async ({ app, page }) => {
  await app.open('?s=ex2-vxlan&f=21&v=packet')
  await page.getByTestId('theme-toggle').click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  expect((await app.snapshot()).theme).toBe('dark')
  await app.screenshot('02-dark-encap')
})

test('a curriculum scenario opens from the picker, with its own title, section and narration', async ({ app, page }) => {
  await app.open('?s=ex1-bridge')
  await app.loadScenario('scn-06-pod-to-pod-flannel-vxlan')
  await expect(page.getByTestId('scenario-picker').locator('option:checked')).toHaveText('Across nodes with flannel VXLAN')
  await expect(page.getByTestId('scenario-strip')).toContainText('8.6')
  await expect(page.getByTestId('narration')).not.toBeEmpty()
  await app.step.toFirst({ kind: 'encap' })
  await expect(page.getByTestId('narration')).toContainText(/flannel\.1|VXLAN|8472/)
  await app.screenshot('12-curriculum-encap')
})
