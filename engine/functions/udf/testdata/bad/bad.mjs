export default { kind: 'scalar', name: 'bad', params: ['NOPE'], returns: 'STRING', invoke: () => 'x' };
