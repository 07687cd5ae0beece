/**
 * An instructor hands out a link to the DNS lab with the fault they chose (`?fault=`): the
 * lab opens broken that way, the learner finds the missing endpoints with kubectl, and the
 * instructor's picker switches the class to another fault.
 */
import { expect, test } from './fixtures.ts'

const flat = (s: string) => s.replace(/\s+/g, '')

test('the DNS lab opens with the fault named in the URL, and the picker changes it', async ({ app, page }) => {
  await app.open('?fault=kube-dns-no-endpoints')
  await page.getByTestId('mode-terminal').click()
  await expect(page.getByTestId('terminal-mode'), 'the Terminal & labs mode should open').toBeVisible()
  await page.getByTestId('lab-picker').selectOption('dns-debug')
  await expect(page.getByTestId('lab-panel'), 'the DNS lab should show its task and checks').toBeVisible({ timeout: 15_000 })
  await expect(page.getByTestId('lab-fault-picker')).toHaveValue('kube-dns-no-endpoints')
  // CoreDNS runs, the Service has no endpoints, so the lookup fails
  await expect.poll(async () => page.getByTestId('lab-check').evaluateAll((els) => els.map((e) => e.getAttribute('data-ok')))).toEqual(['true', 'false', 'false'])

  await expect(page.locator('.xterm')).toBeVisible({ timeout: 15_000 })
  await page.getByTestId('terminal').click()
  await page.keyboard.type('kubectl get endpoints -n kube-system kube-dns')
  await page.keyboard.press('Enter')
  const text = async () => flat((await page.locator('.xterm-accessibility-tree, .xterm-rows').first().innerText()).replace(/\u00a0/g, ' '))
  await expect.poll(text).toContain(flat('kube-dns   <none>'))

  await page.getByTestId('lab-fault-picker').selectOption('coredns-scaled-to-zero')
  await expect.poll(async () => page.getByTestId('lab-check').evaluateAll((els) => els.map((e) => e.getAttribute('data-ok')))).toEqual(['false', 'false', 'false'])
})
