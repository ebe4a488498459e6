/** Another process's heap through its inspector (full GC, heap used, counts by constructor). */
export { heapGrowth, inspectHeap, residentBytes, type HeapInspector } from '../../../infra/local/heapInspector';
