// Package train trains a joint energy-based model (JEM): one MLP f whose
// softmax classifies, p(y|x) = softmax f(x), and whose log-sum-exp is a
// negative energy, E(x) = -logsumexp_y f(x)[y], E(x,y) = -f(x)[y]. The loss
//
//	CE(f(x_real), y) + w*(mean E(x_real) - mean E(x_sample)) + lambda*mean(E_real^2 + E_sample^2)
//
// lowers the energy of data and raises that of Langevin samples.
//
// A run is a Recipe (what defines it, kept in its checkpoint) carried out
// with Options (where and how this process runs it). Execute is `ebm train`;
// Trainer holds the model and takes one Step at a time; Run loops over
// epochs, validates, checkpoints and rolls back on divergence.
package train
