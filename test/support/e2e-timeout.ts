// e2e tests start processes (a CLI run is a Node start): Jest's 5 s is too little on a loaded 2-core machine.
jest.setTimeout(60_000);
