/** Types of bundle.js (plain JS: bin/dm.js loads it before anything can compile TypeScript). */
export declare const bundlePath: string;
export declare const bundleSources: string[];
export declare function bundleIsCurrent(): boolean;
