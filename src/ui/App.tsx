export function App() {
  return (
    <main data-testid="app">
      <h1>packetwalk</h1>
      <p>Watch a packet cross Kubernetes pod networking, hop by hop.</p>
    </main>
  )
}
